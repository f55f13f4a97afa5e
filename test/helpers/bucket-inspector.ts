/**
 * An independent look into an S3 test bucket with the AWS SDK used directly (not promship's bucket
 * code): every object with its size, blocks grouped by ULID with their parsed meta.json, partial
 * uploads, the ledger, and a download of the complete blocks for promtool to judge.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BucketTarget } from './bucket-targets.ts';
import type { MetaJson } from './blocks.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export interface InspectedBlock {
  ulid: string;
  /** Objects under `<ulid>/` other than meta.json, by relative path → size. */
  files: Map<string, number>;
  /** Parsed meta.json; undefined for a partial upload. */
  meta?: MetaJson;
  /** meta.json exists but does not parse (a torn write). */
  metaError?: string;
}

export interface BucketSnapshot {
  blocks: InspectedBlock[];
  complete: InspectedBlock[];
  partial: InspectedBlock[];
  /** Keys outside block directories (e.g. the ledger), relative to the prefix. */
  other: string[];
}

export interface BucketInspector {
  list(): Promise<{ key: string; size: number }[]>;
  get(rel: string): Promise<Buffer | null>;
  put(rel: string, body: Uint8Array | string): Promise<void>;
  delete(rel: string): Promise<void>;
  snapshot(): Promise<BucketSnapshot>;
  /** Writes every complete block (with meta.json) into `dir`, for promtool. */
  downloadComplete(dir: string): Promise<string[]>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

interface RawStore {
  list: () => Promise<{ key: string; size: number }[]>;
  get: (rel: string) => Promise<Buffer | null>;
  put: (rel: string, body: Uint8Array | string) => Promise<void>;
  delete: (rel: string) => Promise<void>;
}

/** The same look into an Azurite container, with @azure/storage-blob used directly. */
function azureStore(target: BucketTarget): RawStore {
  const client = target.azurite!.containerClient();
  const prefix = target.prefix ? `${target.prefix}/` : '';
  return {
    async list() {
      const out: { key: string; size: number }[] = [];
      for await (const b of client.listBlobsFlat({ prefix }))
        out.push({ key: b.name.slice(prefix.length), size: b.properties.contentLength ?? 0 });
      return out;
    },
    async get(rel) {
      try {
        return await client.getBlobClient(prefix + rel).downloadToBuffer();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return null;
        throw err;
      }
    },
    async put(rel, body) {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      await client.getBlockBlobClient(prefix + rel).upload(bytes, bytes.byteLength);
    },
    async delete(rel) {
      await client.getBlobClient(prefix + rel).deleteIfExists();
    },
  };
}

/**
 * The same look into a GCS emulator bucket through @google-cloud/storage used directly. The
 * prefix is `thanos/`, as bucketTarget sets it for both GCS kinds.
 */
function gcsStore(target: BucketTarget): RawStore {
  const emu = target.gcs!;
  const bucket = emu.client().bucket(emu.bucket);
  const prefix = 'thanos/';
  return {
    async list() {
      const [files] = await bucket.getFiles({ prefix });
      // The emulator may repeat an object across pages; one entry per key.
      const out = new Map<string, number>();
      for (const f of files) out.set(f.name.slice(prefix.length), Number(f.metadata.size ?? 0));
      return [...out].map(([key, size]) => ({ key, size }));
    },
    async get(rel) {
      try {
        const [data] = await bucket.file(prefix + rel).download();
        return data;
      } catch (err) {
        if ((err as { code?: unknown }).code === 404) return null;
        throw err;
      }
    },
    async put(rel, body) {
      await bucket.file(prefix + rel).save(Buffer.from(body), { resumable: false });
    },
    async delete(rel) {
      await bucket.file(prefix + rel).delete({ ignoreNotFound: true });
    },
  };
}

export function inspectBucket(t: Teardown, target: BucketTarget): BucketInspector {
  if (target.azurite) return inspectWith(azureStore(target));
  if (target.gcs) return inspectWith(gcsStore(target));
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(target.env.PROMSHIP_BUCKET ?? '');
  if (!m || !target.server) throw new Error(`not an S3 target: ${target.kind}`);
  const bucket = m[1]!;
  const prefix = m[2] ? `${m[2].replace(/\/+$/, '')}/` : '';
  const client = new S3Client({
    endpoint: target.server.endpoint,
    region: target.server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: target.server.accessKeyId, secretAccessKey: target.env.AWS_SECRET_ACCESS_KEY ?? 'x' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // s3rver answers 500 to a listing that races an object being written; the SDK retries that.
    maxAttempts: 5,
  });
  t.teardown(() => client.destroy());
  const store: RawStore = {
    list: async () => {
      const out: { key: string; size: number }[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) out.push({ key: o.Key!.slice(prefix.length), size: o.Size ?? 0 });
        token = page.NextContinuationToken;
      } while (token);
      return out;
    },
    get: async (rel) => {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + rel }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (err) {
        if ((err as { name?: string }).name === 'NoSuchKey') return null;
        throw err;
      }
    },
    async put(rel, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + rel, Body: body }));
    },
    async delete(rel) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + rel }));
    },
  };
  return inspectWith(store);
}

function inspectWith(store: RawStore): BucketInspector {
  const { list, get } = store;
  const snapshot = async (): Promise<BucketSnapshot> => {
    const byUlid = new Map<string, InspectedBlock>();
    const other: string[] = [];
    const hasMeta = new Set<string>();
    for (const o of await list()) {
      const i = o.key.indexOf('/');
      const id = i > 0 ? o.key.slice(0, i) : '';
      if (!ULID.test(id)) {
        other.push(o.key);
        continue;
      }
      const b = byUlid.get(id) ?? { ulid: id, files: new Map<string, number>() };
      byUlid.set(id, b);
      const rel = o.key.slice(i + 1);
      if (rel === 'meta.json') hasMeta.add(id);
      else b.files.set(rel, o.size);
    }
    for (const id of hasMeta) {
      const b = byUlid.get(id)!;
      const raw = await get(`${id}/meta.json`);
      try {
        b.meta = JSON.parse(raw!.toString('utf8')) as MetaJson;
      } catch (err) {
        b.metaError = (err as Error).message;
      }
    }
    const blocks = [...byUlid.values()].sort((a, b) => (a.ulid < b.ulid ? -1 : 1));
    return {
      blocks,
      complete: blocks.filter((b) => b.meta !== undefined),
      partial: blocks.filter((b) => b.meta === undefined && b.metaError === undefined),
      other,
    };
  };
  return {
    list,
    get,
    put: store.put,
    delete: store.delete,
    snapshot,
    async downloadComplete(dir) {
      const snap = await snapshot();
      for (const b of snap.complete) {
        for (const rel of [...b.files.keys(), 'meta.json']) {
          const data = await get(`${b.ulid}/${rel}`);
          if (data === null) throw new Error(`${b.ulid}/${rel} vanished`);
          const path = join(dir, b.ulid, ...rel.split('/'));
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, data);
        }
      }
      return snap.complete.map((b) => b.ulid);
    },
  };
}

/** Problems of one complete block: files missing, short or extra compared with its meta.json. */
export function blockFileProblems(b: InspectedBlock): string[] {
  const problems: string[] = [];
  if (!b.meta) return [`${b.ulid}: no meta.json`];
  if (b.meta.thanos.files === undefined) {
    // Older sidecars list no files: the block needs at least its index and a chunk segment.
    if (!b.files.has('index')) problems.push(`${b.ulid}/index: missing`);
    if (![...b.files.keys()].some((p) => p.startsWith('chunks/'))) problems.push(`${b.ulid}/chunks: missing`);
    return problems;
  }
  const listed = new Map(
    (b.meta.thanos.files ?? []).filter((f) => f.rel_path !== 'meta.json').map((f) => [f.rel_path, f.size_bytes]),
  );
  if (!listed.has('index')) problems.push(`${b.ulid}: meta.json does not list index`);
  if (![...listed.keys()].some((p) => p.startsWith('chunks/')))
    problems.push(`${b.ulid}: meta.json lists no chunk segment`);
  for (const [rel, size] of listed) {
    const actual = b.files.get(rel);
    if (actual === undefined) problems.push(`${b.ulid}/${rel}: missing`);
    else if (actual !== size) problems.push(`${b.ulid}/${rel}: ${actual} bytes, meta.json says ${size}`);
  }
  for (const rel of b.files.keys()) if (!listed.has(rel)) problems.push(`${b.ulid}/${rel}: not listed in meta.json`);
  return problems;
}
