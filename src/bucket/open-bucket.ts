/**
 * The bucket the configuration names: `PROMSHIP_BUCKET` (with the `PROMSHIP_S3_*` settings and
 * the standard AWS credential chain), or a Thanos objstore YAML file. Problems are `ConfigError`s,
 * so a wrong bucket setting stops the agent at start.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { AzureBucketOptions } from './azure-options.ts';
import { azureOptionsFromEnv } from './azure-options.ts';
import type { Bucket } from './bucket.ts';
import { FileBucket } from './file-bucket.ts';
import { parseObjstoreConfig } from './objstore-config.ts';
import type { GcsBucketOptions } from './gcs-bucket.ts';
import type { S3BucketOptions } from './s3-bucket.ts';
import {
  environmentRegion,
  regionFromAwsHost,
  resolveS3Endpoint,
  type BucketLookup,
  type S3EndpointChoice,
} from './s3-settings.ts';

export interface OpenedBucket {
  bucket: Bucket;
  /** Settings that are valid for Thanos but ignored by promship: log them. */
  warnings: string[];
}

type BucketConfig = Pick<
  Config,
  | 'bucket'
  | 'objstoreConfigFile'
  | 's3Endpoint'
  | 's3Region'
  | 's3ForcePathStyle'
  | 's3Sse'
  | 's3SseKmsKeyId'
  | 's3ChecksumMode'
  | 's3RequestTimeout'
  | 's3MaxAttempts'
> &
  Partial<Pick<Config, 'azureAccount'>>;

export async function openBucket(config: BucketConfig, env: NodeJS.ProcessEnv = process.env): Promise<OpenedBucket> {
  if (config.objstoreConfigFile && config.bucket) {
    throw new ConfigError('set either PROMSHIP_BUCKET or PROMSHIP_OBJSTORE_CONFIG_FILE, not both');
  }
  if (config.objstoreConfigFile) {
    let text: string;
    try {
      text = await readFile(config.objstoreConfigFile, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `cannot read PROMSHIP_OBJSTORE_CONFIG_FILE ${config.objstoreConfigFile}: ${(err as Error).message}`,
      );
    }
    const parsed = parseObjstoreConfig(text, config.objstoreConfigFile);
    const b = parsed.bucket;
    if (b.kind === 'filesystem') {
      const dir = b.prefix ? `${b.dir.replace(/\/+$/, '')}/${b.prefix.replace(/^\/+|\/+$/g, '')}` : b.dir;
      return { bucket: new FileBucket(dir), warnings: parsed.warnings };
    }
    if (b.kind === 'azure') return { bucket: await azureBucket(b.options), warnings: parsed.warnings };
    if (b.kind === 'gcs') return { bucket: await gcsBucket(b.options, env), warnings: parsed.warnings };
    if (parsed.s3Endpoint === undefined) throw new Error('objstore config: an S3 bucket without its endpoint settings');
    const { options, warnings } = withS3Settings(b.options, parsed.s3Endpoint, config, env, parsed.warnings);
    return { bucket: await s3Bucket(options), warnings };
  }
  const location = config.bucket;
  if (!location) {
    throw new ConfigError(
      'no bucket: set PROMSHIP_BUCKET (e.g. s3://bucket/prefix or file:///var/lib/blocks) or PROMSHIP_OBJSTORE_CONFIG_FILE',
    );
  }
  if (location.kind === 'file') return { bucket: new FileBucket(location.dir), warnings: [] };
  if (location.kind === 'gcs') {
    return { bucket: await gcsBucket({ bucket: location.bucket, prefix: location.prefix }, env), warnings: [] };
  }
  if (location.kind === 'azblob')
    return { bucket: await azureBucket(azureOptionsFromEnv(location, config, env)), warnings: [] };
  if (config.s3Sse === 'SSE-KMS' && !config.s3SseKmsKeyId) {
    throw new ConfigError('PROMSHIP_S3_SSE is SSE-KMS but PROMSHIP_S3_SSE_KMS_KEY_ID is not set');
  }
  const endpoint = resolveS3Endpoint({
    endpoint: config.s3Endpoint,
    insecure: false,
    region: config.s3Region,
    bucketLookup: lookupOf(config.s3ForcePathStyle),
    checksumMode: config.s3ChecksumMode,
    environmentRegion: environmentRegion(env),
  });
  const options: S3BucketOptions = {
    bucket: location.bucket,
    prefix: location.prefix,
    requestTimeoutMs: config.s3RequestTimeout,
    maxAttempts: config.s3MaxAttempts,
    ...endpoint,
    ...(config.s3Sse === 'SSE-S3' ? { sse: { type: 'SSE-S3' as const } } : {}),
    ...(config.s3Sse === 'SSE-KMS' ? { sse: { type: 'SSE-KMS' as const, kmsKeyId: config.s3SseKmsKeyId! } } : {}),
  };
  return { bucket: await s3Bucket(options), warnings: [] };
}

/** PROMSHIP_S3_FORCE_PATH_STYLE as a bucket lookup: `auto` decides from the endpoint. */
function lookupOf(forcePathStyle: boolean | 'auto'): BucketLookup {
  if (forcePathStyle === 'auto') return 'auto';
  return forcePathStyle ? 'path' : 'virtual-hosted';
}

/**
 * The `PROMSHIP_S3_*` settings beside an objstore YAML. Where the YAML has the same setting and
 * sets it, the YAML wins (it is shared with Thanos); otherwise the setting applies, so its
 * documented default (5 attempts, 2m timeout) holds and advice such as
 * `PROMSHIP_S3_CHECKSUM_MODE=when-required` works. The endpoint is resolved again with these
 * layered on, by the same rules as for `PROMSHIP_BUCKET`. Settings that only the YAML may give
 * (the endpoint, path style, encryption) are ignored with a warning when set.
 */
function withS3Settings(
  fromYaml: S3BucketOptions,
  choice: S3EndpointChoice,
  config: BucketConfig,
  env: NodeJS.ProcessEnv,
  yamlWarnings: readonly string[],
): { options: S3BucketOptions; warnings: string[] } {
  const options: S3BucketOptions = { ...fromYaml };
  delete options.endpoint;
  delete options.insecure;
  delete options.region;
  const yamlRegion = choice.region?.trim() || (choice.endpoint ? regionFromAwsHost(choice.endpoint) : undefined);
  Object.assign(
    options,
    resolveS3Endpoint({
      ...choice,
      // The YAML's region (or the one its endpoint names) wins over PROMSHIP_S3_REGION.
      region: yamlRegion ?? config.s3Region,
      // No YAML equivalent.
      checksumMode: config.s3ChecksumMode,
      environmentRegion: environmentRegion(env),
    }),
  );
  const warnings = [...yamlWarnings];
  options.maxAttempts ??= config.s3MaxAttempts;
  options.requestTimeoutMs ??= config.s3RequestTimeout;
  const yamlOnly: [string, boolean][] = [
    ['PROMSHIP_S3_ENDPOINT', Boolean(config.s3Endpoint)],
    ['PROMSHIP_S3_FORCE_PATH_STYLE', config.s3ForcePathStyle !== 'auto'],
    ['PROMSHIP_S3_SSE', config.s3Sse !== 'none'],
    ['PROMSHIP_S3_SSE_KMS_KEY_ID', Boolean(config.s3SseKmsKeyId)],
  ];
  for (const [name, set] of yamlOnly) {
    if (set) {
      warnings.push(
        `${name} is ignored with PROMSHIP_OBJSTORE_CONFIG_FILE: set its counterpart in the objstore YAML ` +
          '(endpoint, bucket_lookup_type, sse_config)',
      );
    }
  }
  return { options, warnings };
}

/**
 * The S3 client is loaded only for an S3 bucket: the AWS SDK takes about 120 ms to load, a tenth
 * of a whole `promship once` on a file bucket (measured).
 */
async function s3Bucket(options: S3BucketOptions): Promise<Bucket> {
  const { S3Bucket } = await import('./s3-bucket.ts');
  return new S3Bucket(options);
}

/**
 * The GCS client is loaded only for a GCS bucket (the SDK adds ~30 MB RSS). Without inline
 * credentials the SDK reads GOOGLE_APPLICATION_CREDENTIALS lazily, at the first request; a wrong
 * path there is a configuration error, so it is checked now.
 */
async function gcsBucket(options: GcsBucketOptions, env: NodeJS.ProcessEnv): Promise<Bucket> {
  const keyFile = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (options.serviceAccount === undefined && keyFile !== undefined && keyFile !== '' && !env.STORAGE_EMULATOR_HOST) {
    let text: string;
    try {
      text = await readFile(keyFile, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `cannot read GOOGLE_APPLICATION_CREDENTIALS ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}; ` +
          'point it at a readable service-account key file, or unset it to use GKE Workload Identity',
      );
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { type?: unknown }).type !== 'string')
        throw new Error('no type');
    } catch {
      // The content is a secret: never quoted.
      throw new ConfigError(
        `GOOGLE_APPLICATION_CREDENTIALS ${keyFile} is not a Google credentials JSON file (no "type"); use the key file as downloaded`,
      );
    }
  }
  const { GcsBucket } = await import('./gcs-bucket.ts');
  return new GcsBucket(options, env);
}

/** The Azure SDK is loaded only for an Azure bucket, like the AWS SDK for S3. */
async function azureBucket(options: AzureBucketOptions): Promise<Bucket> {
  const { openAzureBucket } = await import('./azure-bucket.ts');
  return openAzureBucket(options);
}
