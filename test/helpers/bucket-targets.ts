/**
 * The buckets the end-to-end tests ship into, each with the environment a user would set and an
 * independent way to bring the shipped objects back to a local directory (the AWS SDK used
 * directly, not promship's bucket code), so promtool can judge them.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startAzurite, type AzuriteServer } from './azurite.ts';
import { copyBlocks } from './blocks.ts';
import { testSecret } from './output-log.ts';
import { startGcsEmulator, type GcsEmulator } from './gcs-emulator.ts';
import { startFauxqs, startS3rver, type S3TestServer } from './s3.ts';

/**
 * `gcs`: PROMSHIP_BUCKET=gs://…; `gcs-objstore`: an objstore YAML `type: GCS` with a service account.
 * `azurite`: `azblob://` with AZURE_STORAGE_CONNECTION_STRING; `azurite-objstore`: an objstore YAML of `type: AZURE`.
 */
export type TargetKind = 'file' | 's3rver' | 'fauxqs' | 'gcs' | 'gcs-objstore' | 'azurite' | 'azurite-objstore';

export interface BucketTarget {
  kind: TargetKind;
  /** PROMSHIP_* and AWS_* variables that point promship at this bucket. */
  env: Record<string, string>;
  /** Copies every object under the bucket prefix into `dir` (layout as in the bucket). */
  download(dir: string): Promise<void>;
  /** The secrets this target uses, for leak checks. */
  secrets: string[];
  server?: S3TestServer;
  gcs?: GcsEmulator;
  azurite?: AzuriteServer;
  /** Blob-name prefix in the Azurite container (Azure targets only). */
  prefix?: string;
  /** Points promship at `blobEndpoint` (e.g. a proxy) instead of the server itself (Azure targets only). */
  envVia?(blobEndpoint: string, extraYamlConfig?: string): Promise<Record<string, string>>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function bucketTarget(
  t: Teardown,
  kind: TargetKind,
  localDir: string,
  prefix = 'thanos',
): Promise<BucketTarget> {
  if (kind === 'file') {
    return {
      kind,
      env: { PROMSHIP_BUCKET: `file://${localDir}` },
      download: (dir) => copyBlocks(localDir, dir).then(() => undefined),
      secrets: [],
    };
  }
  if (kind === 'gcs' || kind === 'gcs-objstore') return gcsTarget(t, kind, localDir, prefix);
  if (kind === 'azurite' || kind === 'azurite-objstore') return azureTarget(t, kind, localDir, prefix);
  const server = kind === 's3rver' ? await startS3rver(t) : await startFauxqs(t);
  const secretAccessKey = testSecret(`s3-secret-${kind}`);
  const env = {
    PROMSHIP_BUCKET: `s3://${server.bucket}/${prefix}`,
    PROMSHIP_S3_ENDPOINT: server.endpoint,
    PROMSHIP_S3_REGION: server.region,
    PROMSHIP_S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  t.teardown(() => client.destroy());
  const download = async (dir: string): Promise<void> => {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        const rel = o.Key!.slice(prefix.length + 1);
        const res = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: o.Key! }));
        const path = join(dir, ...rel.split('/'));
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, await res.Body!.transformToByteArray());
      }
      token = page.NextContinuationToken;
    } while (token);
  };
  return { kind, env, download, secrets: [secretAccessKey], server };
}

/**
 * The GCS emulator, reached as any SDK user reaches it: STORAGE_EMULATOR_HOST. The objstore
 * variant carries a service-account key whose private key is a marked test secret; the SDK
 * sends no credentials to a custom endpoint, so the key is only ever held, never used.
 */
async function gcsTarget(
  t: Teardown,
  kind: 'gcs' | 'gcs-objstore',
  localDir: string,
  prefix: string,
): Promise<BucketTarget> {
  const emu = await startGcsEmulator(t);
  const env: Record<string, string> = { STORAGE_EMULATOR_HOST: emu.endpoint };
  const secrets: string[] = [];
  if (kind === 'gcs') {
    env.PROMSHIP_BUCKET = `gs://${emu.bucket}/${prefix}`;
  } else {
    const marker = testSecret('gcs-private-key');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // The marker inside the PEM body: a leak of the key shows as a leak of the marker.
    const key = pem.replace('-----END PRIVATE KEY-----', `${marker}\n-----END PRIVATE KEY-----`);
    const account = {
      type: 'service_account',
      project_id: 'demo-test',
      private_key_id: 'test-key-id',
      private_key: key,
      client_email: 'promship-test@demo-test.iam.gserviceaccount.com',
      client_id: '1',
      token_uri: 'https://oauth2.googleapis.com/token',
    };
    const yamlFile = join(localDir, 'object-store.yaml');
    await mkdir(localDir, { recursive: true });
    const yaml =
      `type: GCS\nprefix: ${prefix}\nconfig:\n  bucket: "${emu.bucket}"\n  service_account: |-\n` +
      JSON.stringify(account, null, 2)
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n') +
      '\n';
    await writeFile(yamlFile, yaml);
    env.PROMSHIP_OBJSTORE_CONFIG_FILE = yamlFile;
    secrets.push(marker);
  }
  const client = emu.client();
  const download = async (dir: string): Promise<void> => {
    const [files] = await client.bucket(emu.bucket).getFiles({ prefix: `${prefix}/` });
    for (const f of files) {
      const rel = f.name.slice(prefix.length + 1);
      const path = join(dir, ...rel.split('/'));
      await mkdir(dirname(path), { recursive: true });
      const [data] = await f.download();
      await writeFile(path, data);
    }
  };
  return { kind, env, download, secrets, gcs: emu };
}

async function azureTarget(
  t: Teardown,
  kind: 'azurite' | 'azurite-objstore',
  localDir: string,
  prefix: string,
): Promise<BucketTarget> {
  // On disk, so an outage (stop, start) keeps the blobs, as the real service would.
  const server = await startAzurite(t, { onDisk: true });
  const envVia = async (blobEndpoint: string, extraYamlConfig = ''): Promise<Record<string, string>> => {
    const connectionString = server.connectionString(blobEndpoint);
    if (kind === 'azurite') {
      return {
        PROMSHIP_BUCKET: `azblob://${server.container}/${prefix}`,
        AZURE_STORAGE_CONNECTION_STRING: connectionString,
      };
    }
    // What a kubecost-thanos secret for Azure holds, with the emulator's connection string.
    const file = `${localDir}-${blobEndpoint.replace(/[^a-z0-9]+/gi, '_')}-objstore.yaml`;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(
      file,
      [
        'type: AZURE',
        'config:',
        `  storage_account: "${server.account}"`,
        `  storage_connection_string: "${connectionString}"`,
        `  container: "${server.container}"`,
        ...(extraYamlConfig ? [extraYamlConfig.replace(/\n$/, '')] : []),
        `prefix: "${prefix}"`,
        '',
      ].join('\n'),
    );
    return { PROMSHIP_OBJSTORE_CONFIG_FILE: file };
  };
  const download = async (dir: string): Promise<void> => {
    const client = server.containerClient();
    for await (const b of client.listBlobsFlat({ prefix: `${prefix}/` })) {
      const rel = b.name.slice(prefix.length + 1);
      const path = join(dir, ...rel.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await client.getBlobClient(b.name).downloadToBuffer());
    }
  };
  return {
    kind,
    env: await envVia(server.blobEndpoint),
    download,
    secrets: [server.accountKey, server.connectionString()],
    azurite: server,
    prefix,
    envVia,
  };
}
