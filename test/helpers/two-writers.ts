/**
 * Judges a bucket two agents shipped into, from a local copy of it (the file bucket itself, or an
 * S3 prefix downloaded with the AWS SDK directly): blocks with meta.json must not overlap, every
 * window with data must have exactly one, no partial block may be left, and the promtool dump of
 * the blocks must equal the source.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { access, cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { firstDifference, readMeta, type MetaJson } from './blocks.ts';
import { promtoolDump } from './prometheus.ts';
import type { S3TestServer } from './s3.ts';
import type { Source } from './source.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export interface BucketVerdict {
  blocks: MetaJson[];
  /** Pairs of blocks of one label set whose ranges overlap, as `ulid / ulid`. */
  overlaps: string[];
  /** Window starts with data but no block. */
  missing: number[];
  /** Window starts with more than one block. */
  duplicated: number[];
  /** Block directories without meta.json. */
  partial: string[];
  /** First line where the dump of the blocks differs from the source; undefined when equal. */
  dumpDifference: string | undefined;
}

export async function judgeBucketDir(dir: string, source: Source, blockMs: number): Promise<BucketVerdict> {
  const blocks: MetaJson[] = [];
  const partial: string[] = [];
  for (const id of await readdir(dir).catch(() => [])) {
    if (!ULID.test(id)) continue;
    if (
      await access(join(dir, id, 'meta.json')).then(
        () => true,
        () => false,
      )
    )
      blocks.push(await readMeta(join(dir, id)));
    else partial.push(id);
  }
  blocks.sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime);
  const overlaps: string[] = [];
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length && blocks[j]!.minTime < blocks[i]!.maxTime; j++)
      overlaps.push(`${blocks[i]!.ulid} / ${blocks[j]!.ulid}`);
  }
  const count = new Map<number, number>();
  for (const b of blocks) count.set(b.minTime, (count.get(b.minTime) ?? 0) + 1);
  const expected = [...source.windowsWithData(blockMs)].sort((a, b) => a - b);
  const missing = expected.filter((w) => !count.has(w));
  const duplicated = [...count].filter(([, n]) => n > 1).map(([w]) => w);
  const copy = join(dir, '..', `${dir.split('/').at(-1) ?? 'bucket'}-blocks`);
  await mkdir(copy, { recursive: true });
  for (const b of blocks) await cp(join(dir, b.ulid), join(copy, b.ulid), { recursive: true });
  const dump = blocks.length > 0 ? await promtoolDump(copy) : [];
  return { blocks, overlaps, missing, duplicated, partial, dumpDifference: firstDifference(source.dump, dump) };
}

/** Copies every object under `prefix/` of the test server's bucket into `dir`, with the AWS SDK. */
export async function downloadPrefix(server: S3TestServer, prefix: string, dir: string): Promise<void> {
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
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
  } finally {
    client.destroy();
  }
}
