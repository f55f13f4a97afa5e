/**
 * `Bucket` on Azure Blob Storage through @azure/storage-blob. Loaded only by dynamic import (see
 * open-bucket.ts): the SDK costs memory and start time the file and S3 stores do not need.
 *
 * Large files are uploaded as staged blocks and committed in one Put Block List: until the
 * commit, nothing is visible to a listing or a read (Thanos never sees half a file), and a crash
 * leaves only uncommitted blocks, which `abortIncompleteUploads` removes and Azure itself expires
 * after 7 days. Every staged block carries a Content-MD5 the service checks; a small upload's MD5
 * is computed by the service. The stored blob is then checked by size and MD5 before it counts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ContainerClient,
  StorageSharedKeyCredential,
  type BlobDownloadResponseParsed,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import type { TokenCredential } from '@azure/core-auth';
import { BucketError, ConfigError } from '../errors.ts';
import { compareStrings } from '../labels.ts';
import type { Bucket, ObjectInfo } from './bucket.ts';
import { azureCodeOf, azureStatusOf, toAzureBucketError } from './azure-errors.ts';
import type { AzureBucketOptions } from './azure-options.ts';
import { keyRoot, ObjectKeys } from './object-keys.ts';
import { localFileError, localFileSize, type StoreErrorContext } from './store-errors.ts';
import { writeDownload } from './write-download.ts';

const MiB = 1024 * 1024;
const DEFAULT_BLOCK_SIZE = 8 * MiB;
/** Blocks staged at once; memory for one upload is about (this + 1) × block size. */
const BLOCKS_IN_FLIGHT = 2;
const DEFAULT_TRY_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_TRIES = 5;
const RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 10_000;
/** Beyond a try's timeout, for the process being busy. */
const DEADLINE_GRACE_MS = 2_000;
/** What a failed try may be retried for: no answer, a lost or cut answer, a busy store. */
const RETRIED = new Set<string>([
  'PROMSHIP_BUCKET_TIMEOUT',
  'PROMSHIP_BUCKET_UNREACHABLE',
  'PROMSHIP_BUCKET_SERVER_ERROR',
]);

/** The wait before try n + 1: 0.5 s, doubling, at most 10 s. */
function retryDelayMs(n: number): number {
  return Math.min(RETRY_DELAY_MS * 2 ** (n - 1), MAX_RETRY_DELAY_MS);
}

interface CallOptions {
  signal?: AbortSignal;
}

/** Builds the bucket; async because a token credential's library is loaded only when needed. */
export async function openAzureBucket(opts: AzureBucketOptions): Promise<AzureBucket> {
  return new AzureBucket(opts, await credentialFor(opts));
}

async function credentialFor(opts: AzureBucketOptions): Promise<TokenCredential | undefined> {
  if (opts.connectionString !== undefined || opts.accountKey !== undefined) return undefined;
  const identity = await import('@azure/identity');
  if (opts.clientSecret !== undefined && opts.clientId !== undefined && opts.tenantId !== undefined) {
    return new identity.ClientSecretCredential(opts.tenantId, opts.clientId, opts.clientSecret);
  }
  // Workload Identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE from the
  // webhook), then managed identity, then the rest of the SDK's standard chain.
  return new identity.DefaultAzureCredential(
    opts.userAssignedId !== undefined ? { managedIdentityClientId: opts.userAssignedId } : {},
  );
}

export class AzureBucket implements Bucket {
  readonly description: string;
  private readonly client: ContainerClient;
  private readonly keys: ObjectKeys;
  private readonly blockSize: number;
  private readonly secrets: string[];
  /** Set once the container is known to exist, so a bare 404 on HEAD means "no such blob". */
  private containerSeen = false;
  /**
   * How long one try may take. The SDK's try timeout only reaches the server (a `timeout=` URL
   * parameter) and never ends a try whose server does not answer, and its retry policy does not
   * retry an aborted try; so promship makes every SDK call a single try, ends it at this
   * deadline, and retries it itself (`call`): a stalled request costs one try, not the call.
   */
  private readonly tryDeadlineMs: number;
  private readonly maxTries: number;

  constructor(opts: AzureBucketOptions, credential?: TokenCredential) {
    if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(opts.container) && opts.container !== '$root') {
      throw new ConfigError(
        'The Azure container name must be 3-63 lowercase letters, digits and single hyphens: fix the container name',
      );
    }
    const root = keyRoot(opts.prefix);
    this.blockSize = opts.blockSizeBytes ?? DEFAULT_BLOCK_SIZE;
    this.secrets = [opts.accountKey, opts.connectionString, opts.clientSecret].filter(
      (s): s is string => typeof s === 'string' && s.length > 0,
    );
    const maxTries = opts.maxTries ?? DEFAULT_MAX_TRIES;
    const tryTimeoutMs = opts.tryTimeoutMs ?? DEFAULT_TRY_TIMEOUT_MS;
    this.maxTries = maxTries;
    this.tryDeadlineMs = tryTimeoutMs + DEADLINE_GRACE_MS;
    const pipelineOptions: StoragePipelineOptions = {
      // One try per SDK call: `call` retries (see tryDeadlineMs).
      retryOptions: { maxTries: 1, tryTimeoutInMs: tryTimeoutMs },
      userAgentOptions: { userAgentPrefix: 'promship' },
    };
    let serviceUrl: string;
    if (opts.connectionString !== undefined) {
      try {
        this.client = new ContainerClient(opts.connectionString, opts.container, pipelineOptions);
      } catch {
        // The SDK's message may quote the string; ours names the setting only.
        throw new ConfigError(
          'The Azure storage connection string is not valid: it needs AccountName= and AccountKey= (or ' +
            'SharedAccessSignature=) and, for an emulator or private endpoint, BlobEndpoint=',
        );
      }
      serviceUrl = withoutQuery(this.client.url).replace(/\/[^/]*$/, '');
    } else {
      serviceUrl = blobServiceUrl(opts);
      const containerUrl = `${serviceUrl}/${opts.container}`;
      if (opts.accountKey !== undefined) {
        let shared: StorageSharedKeyCredential;
        try {
          shared = new StorageSharedKeyCredential(opts.account ?? '', opts.accountKey);
        } catch {
          throw new ConfigError(
            'The Azure storage account key is not valid base64: copy it again from the storage account',
          );
        }
        this.client = new ContainerClient(containerUrl, shared, pipelineOptions);
      } else {
        this.client = new ContainerClient(containerUrl, credential, pipelineOptions);
      }
    }
    const where = `azblob://${opts.container}${root ? `/${root}` : ''}`;
    this.description = `${where} (endpoint ${serviceUrl})`;
    this.keys = new ObjectKeys(root, this.description);
  }

  async put(key: string, body: Uint8Array | string, opts: CallOptions = {}): Promise<void> {
    await this.putBytes(key, body, false, opts.signal);
  }

  async putIfAbsent(key: string, body: Uint8Array | string, opts: CallOptions = {}): Promise<boolean> {
    return this.putBytes(key, body, true, opts.signal);
  }

  private async putBytes(
    key: string,
    body: Uint8Array | string,
    ifAbsent: boolean,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const full = this.keys.full(key);
    const bytes =
      typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const md5 = md5Of(bytes);
    const stored = await this.call('PutBlob', full, signal, async (trySignal) => {
      try {
        // No Content-MD5 sent: Azure then computes and stores the MD5 of what it received, which
        // is compared with ours (one sent along would merely be stored).
        const res = await this.client.getBlockBlobClient(full).upload(bytes, bytes.byteLength, {
          ...(ifAbsent ? { conditions: { ifNoneMatch: '*' } } : {}),
          abortSignal: trySignal,
        });
        return { answeredMd5: res.contentMD5 };
      } catch (err) {
        // Also after a retry whose first try was stored but unanswered: the claim's reader decides.
        if (ifAbsent && !signal?.aborted && isAlreadyThere(err)) return false;
        throw err;
      }
    });
    if (!stored) return false;
    this.containerSeen = true;
    // The answer carries the MD5 the service computed of the bytes it stored: equal to ours, the
    // blob holds them, and asking for its properties would be one request more for each object.
    const answered = stored.answeredMd5;
    if (answered !== undefined && answered.byteLength > 0 && Buffer.from(answered).equals(md5)) return true;
    await this.verifyStored(full, bytes.byteLength, md5, signal);
    return true;
  }

  async uploadFile(key: string, filePath: string, opts: CallOptions = {}): Promise<void> {
    const full = this.keys.full(key);
    const size = await localFileSize(filePath, full, this.description);
    if (opts.signal?.aborted)
      throw toAzureBucketError(opts.signal.reason, this.errorContext('PutBlob', full), opts.signal);
    if (size <= this.blockSize) {
      const bytes = Buffer.allocUnsafe(size);
      const fh = await open(filePath, 'r').catch((err: unknown) => {
        throw localFileError(filePath, full, this.description, err);
      });
      try {
        await readFully(fh, bytes, 0);
      } catch (err) {
        throw localFileError(filePath, full, this.description, err);
      } finally {
        await fh.close();
      }
      await this.putBytes(key, bytes, false, opts.signal);
      return;
    }
    const md5 = await this.stageAndCommit(full, filePath, size, opts.signal);
    this.containerSeen = true;
    await this.verifyStored(full, size, md5, opts.signal);
  }

  /**
   * Stages the file as blocks (each checked by the service against its MD5) and commits them.
   * Block ids carry a fresh random tag, so blocks a crashed attempt left behind are never part
   * of this blob; committing discards them.
   */
  private async stageAndCommit(
    full: string,
    filePath: string,
    size: number,
    signal: AbortSignal | undefined,
  ): Promise<Buffer> {
    const blob = this.client.getBlockBlobClient(full);
    const tag = randomBytes(6).toString('hex');
    const whole = createHash('md5');
    const ids: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    const fh = await open(filePath, 'r').catch((err: unknown) => {
      throw localFileError(filePath, full, this.description, err);
    });
    try {
      for (let offset = 0, index = 0; offset < size && failure === undefined; offset += this.blockSize, index++) {
        signal?.throwIfAborted();
        const buf = Buffer.allocUnsafe(Math.min(this.blockSize, size - offset));
        try {
          await readFully(fh, buf, offset);
        } catch (err) {
          throw localFileError(filePath, full, this.description, err);
        }
        whole.update(buf);
        // Every id of one blob must have the same length: fixed-width tag and index.
        const id = Buffer.from(`${tag}-${String(index).padStart(6, '0')}`).toString('base64');
        ids.push(id);
        const staged: Promise<void> = this.call('PutBlock', full, signal, (trySignal) =>
          blob.stageBlock(id, buf, buf.byteLength, { transactionalContentMD5: md5Of(buf), abortSignal: trySignal }),
        ).then(
          () => {
            inFlight.delete(staged);
          },
          (err: unknown) => {
            inFlight.delete(staged);
            failure ??= err;
          },
        );
        inFlight.add(staged);
        if (inFlight.size >= BLOCKS_IN_FLIGHT) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    } catch (err) {
      await Promise.all(inFlight);
      throw toAzureBucketError(err, this.errorContext('PutBlock', full), signal);
    } finally {
      await fh.close();
    }
    if (failure !== undefined) throw toAzureBucketError(failure, this.errorContext('PutBlock', full), signal);
    const md5 = whole.digest();
    await this.call('PutBlockList', full, signal, (trySignal) =>
      blob.commitBlockList(ids, { blobHTTPHeaders: { blobContentMD5: md5 }, abortSignal: trySignal }),
    );
    return md5;
  }

  async get(key: string, opts: CallOptions = {}): Promise<Uint8Array | null> {
    const full = this.keys.full(key);
    return this.call('GetBlob', full, opts.signal, async (trySignal) => {
      const res = await this.download0(full, trySignal);
      if (res === null) return null;
      const parts: Buffer[] = [];
      for await (const piece of res.readableStreamBody ?? []) parts.push(piece as Buffer);
      const bytes = Buffer.concat(parts);
      this.checkRead(full, res, bytes.byteLength, md5Of(bytes));
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    });
  }

  async download(key: string, filePath: string, opts: CallOptions = {}): Promise<boolean> {
    const full = this.keys.full(key);
    let started = false;
    return this.call('GetBlob', full, opts.signal, async (trySignal) => {
      const res = await this.download0(full, trySignal);
      if (res === null) {
        // Gone since an earlier try began the file: leave no part of it behind.
        if (started) await unlink(filePath).catch(() => undefined);
        return false;
      }
      started = true;
      const hash = createHash('md5');
      let bytes = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          bytes += chunk.byteLength;
          done(null, chunk);
        },
      });
      await writeDownload(res.readableStreamBody ?? Readable.from([]), filePath, full, this.description, {
        signal: trySignal,
        through: count,
      });
      try {
        this.checkRead(full, res, bytes, hash.digest());
      } catch (err) {
        await unlink(filePath).catch(() => undefined);
        throw err;
      }
      return true;
    });
  }

  /** A read that ended short or with other bytes than stored must not pass as the object. */
  private checkRead(full: string, res: BlobDownloadResponseParsed, bytes: number, md5: Buffer): void {
    const stored = res.blobContentMD5 ?? res.contentMD5;
    const sizeOk = res.contentLength === undefined || res.contentLength === bytes;
    const md5Ok = stored === undefined || stored.byteLength === 0 || Buffer.from(stored).equals(md5);
    if (sizeOk && md5Ok) return;
    throw new BucketError(
      'PROMSHIP_BUCKET_UNREACHABLE',
      `Azure GetBlob of "${full}" in ${this.description} read ${bytes} bytes ` +
        `${sizeOk ? 'whose MD5 differs from the stored Content-MD5' : `instead of ${res.contentLength}`}: ` +
        'the connection lost or altered data; promship retries later',
      { key: full },
    );
  }

  private async download0(full: string, trySignal: AbortSignal): Promise<BlobDownloadResponseParsed | null> {
    try {
      const res = await this.client
        .getBlobClient(full)
        .download(0, undefined, { abortSignal: trySignal, maxRetryRequests: 5 });
      this.containerSeen = true;
      return res;
    } catch (err) {
      if (
        azureCodeOf(err) === 'BlobNotFound' ||
        (azureStatusOf(err) === 404 && azureCodeOf(err) === undefined && (await this.containerExists(trySignal)))
      ) {
        return null;
      }
      throw err;
    }
  }

  async stat(key: string, opts: CallOptions = {}): Promise<ObjectInfo | null> {
    return this.statFull(this.keys.full(key), opts.signal);
  }

  async listChildren(prefix: string, opts: CallOptions = {}): Promise<string[]> {
    const dir = this.keys.listPrefix(prefix);
    const out: string[] = [];
    await this.call('ListBlobs', dir, opts.signal, async (trySignal) => {
      out.length = 0; // a retry lists again from the start
      for await (const page of this.client
        .listBlobsByHierarchy('/', { prefix: dir, abortSignal: trySignal })
        .byPage()) {
        for (const p of page.segment.blobPrefixes ?? []) out.push(this.keys.relative(p.name));
        for (const b of page.segment.blobItems) {
          if (b.name !== dir) out.push(this.keys.relative(b.name));
        }
      }
    });
    this.containerSeen = true;
    return out.sort(compareStrings);
  }

  async listObjects(prefix: string, opts: CallOptions = {}): Promise<ObjectInfo[]> {
    const dir = this.keys.listPrefix(prefix);
    const out: ObjectInfo[] = [];
    await this.call('ListBlobs', dir, opts.signal, async (trySignal) => {
      out.length = 0; // a retry lists again from the start
      for await (const page of this.client.listBlobsFlat({ prefix: dir, abortSignal: trySignal }).byPage()) {
        for (const b of page.segment.blobItems) {
          if (b.name === dir) continue;
          const info: ObjectInfo = { key: this.keys.relative(b.name), size: b.properties.contentLength ?? 0 };
          const etag = cleanEtag(b.properties.etag);
          if (etag !== undefined) info.etag = etag;
          out.push(info);
        }
      }
    });
    this.containerSeen = true;
    return out.sort((a, b) => compareStrings(a.key, b.key));
  }

  async delete(key: string, opts: CallOptions = {}): Promise<void> {
    const full = this.keys.full(key);
    await this.call('DeleteBlob', full, opts.signal, (trySignal) =>
      this.client.getBlobClient(full).deleteIfExists({ deleteSnapshots: 'include', abortSignal: trySignal }),
    );
  }

  /**
   * Removes blobs below `prefix` that have staged blocks but were never committed (what a crash
   * mid-upload leaves): they are invisible, but stored (and billed) until Azure expires them after
   * 7 days. Putting an empty blob discards a blob's uncommitted blocks; the empty blob is then
   * deleted. `If-None-Match: *` keeps a blob committed meanwhile untouched.
   */
  async abortIncompleteUploads(prefix: string, opts: CallOptions = {}): Promise<number> {
    const dir = this.keys.listPrefix(prefix);
    const committed = new Set<string>();
    const all: string[] = [];
    await this.call('ListBlobs', dir, opts.signal, async (trySignal) => {
      committed.clear();
      all.length = 0;
      for await (const b of this.client.listBlobsFlat({ prefix: dir, abortSignal: trySignal })) committed.add(b.name);
      for await (const b of this.client.listBlobsFlat({
        prefix: dir,
        includeUncommitedBlobs: true,
        abortSignal: trySignal,
      })) {
        all.push(b.name);
      }
    });
    let removed = 0;
    for (const name of all) {
      if (committed.has(name) || !name.startsWith(dir)) continue;
      const blob = this.client.getBlockBlobClient(name);
      const put = await this.call('PutBlob', name, opts.signal, async (trySignal) => {
        try {
          const res = await blob.upload(Buffer.alloc(0), 0, {
            conditions: { ifNoneMatch: '*' },
            abortSignal: trySignal,
          });
          return { etag: res.etag };
        } catch (err) {
          if (opts.signal?.aborted || !isAlreadyThere(err)) throw err;
          return null;
        }
      });
      if (put === null) {
        // Committed meanwhile: nothing to clean. Azurite counts staged blocks as a blob here, and
        // deletes them with the blob; the service answers 404 to that delete and expires them.
        if ((await this.statFull(name, opts.signal)) !== null) continue;
        const gone = await this.call('DeleteBlob', name, opts.signal, (trySignal) =>
          blob.deleteIfExists({ abortSignal: trySignal }),
        );
        if (gone.succeeded) removed++;
        continue;
      }
      const { etag } = put;
      await this.call('DeleteBlob', name, opts.signal, (trySignal) =>
        blob.deleteIfExists({
          conditions: etag !== undefined ? { ifMatch: etag } : {},
          abortSignal: trySignal,
        }),
      );
      removed++;
    }
    return removed;
  }

  async close(): Promise<void> {
    // The SDK's HTTP client keeps no resources that outlive the process's own agent.
  }

  private async statFull(full: string, signal: AbortSignal | undefined): Promise<ObjectInfo | null> {
    return this.call('GetBlobProperties', full, signal, async (trySignal) => {
      try {
        const res = await this.client.getBlobClient(full).getProperties({ abortSignal: trySignal });
        this.containerSeen = true;
        const info: ObjectInfo = { key: this.keys.relative(full), size: res.contentLength ?? 0 };
        const etag = cleanEtag(res.etag);
        if (etag !== undefined) info.etag = etag;
        return info;
      } catch (err) {
        if (azureStatusOf(err) !== 404 || azureCodeOf(err) === 'ContainerNotFound') throw err;
      }
      // A HEAD answer has no body, so "no such container" may be a bare 404 too.
      if (!(await this.containerExists(trySignal))) throw containerMissing();
      return null;
    });
  }

  /** `trySignal`: the try of the call that asks (see `call`). */
  private async containerExists(trySignal: AbortSignal): Promise<boolean> {
    if (this.containerSeen) return true;
    try {
      await this.client.getProperties({ abortSignal: trySignal });
    } catch (err) {
      if (azureStatusOf(err) === 404) return false;
      // Blob-level permissions without container-level ones (403) say nothing about existence.
      if (azureStatusOf(err) !== 403) throw err;
    }
    this.containerSeen = true;
    return true;
  }

  /** Checks the stored blob's size and MD5; a wrong blob is removed so no reader ever trusts it. */
  private async verifyStored(
    full: string,
    expected: number,
    md5: Buffer,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const props = await this.call('GetBlobProperties', full, signal, async (trySignal) => {
      try {
        return await this.client.getBlobClient(full).getProperties({ abortSignal: trySignal });
      } catch (err) {
        if (azureStatusOf(err) === 404) return null;
        throw err;
      }
    });
    const size = props?.contentLength;
    const stored = props?.contentMD5;
    const md5Ok = stored === undefined || stored.byteLength === 0 || Buffer.from(stored).equals(md5);
    if (props !== null && size === expected && md5Ok) return;
    if (props !== null)
      // Best effort, one try: the error below is what matters, and a silent store must not hold it.
      await this.client
        .getBlobClient(full)
        .deleteIfExists({ abortSignal: AbortSignal.timeout(this.tryDeadlineMs) })
        .catch(() => undefined);
    const what =
      props === null
        ? 'nothing'
        : size !== expected
          ? `${size ?? 0} bytes instead of ${expected}`
          : 'a blob whose Content-MD5 differs from the bytes sent';
    throw new BucketError(
      size !== expected ? 'PROMSHIP_BUCKET_SIZE_MISMATCH' : 'PROMSHIP_BUCKET_CHECKSUM_MISMATCH',
      `Azure upload of "${full}" to ${this.description} stored ${what}: the store altered or lost the data; promship retries later`,
      { key: full },
    );
  }

  /**
   * One SDK call, tried up to max_tries times: each try ends at its deadline (or the caller's
   * signal) and is retried after 0.5 s, doubling, when it failed for want of an answer or a
   * busy store. `fn` gets each try's signal; it may run again, so it starts from scratch.
   */
  private async call<T>(
    operation: string,
    key: string,
    signal: AbortSignal | undefined,
    fn: (trySignal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(this.tryDeadlineMs);
      const trySignal = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
      try {
        return await fn(trySignal);
      } catch (err) {
        const failed = toAzureBucketError(err, this.errorContext(operation, key), signal);
        if (signal?.aborted === true || attempt >= this.maxTries || !RETRIED.has(failed.code)) throw failed;
        try {
          await sleep(retryDelayMs(attempt), undefined, signal ? { signal } : {});
        } catch (stopped) {
          // Only the caller's signal ends the wait.
          throw toAzureBucketError(stopped, this.errorContext(operation, key), signal);
        }
      }
    }
  }

  private errorContext(operation: string, key: string): StoreErrorContext {
    return { operation, key, where: this.description, secrets: this.secrets };
  }
}

function isAlreadyThere(err: unknown): boolean {
  const status = azureStatusOf(err);
  const code = azureCodeOf(err);
  return code === 'BlobAlreadyExists' || code === 'ConditionNotMet' || status === 409 || status === 412;
}

function containerMissing(): unknown {
  return { name: 'RestError', message: 'the container does not exist', statusCode: 404, code: 'ContainerNotFound' };
}

function md5Of(bytes: Uint8Array): Buffer {
  return createHash('md5').update(bytes).digest();
}

async function readFully(fh: Awaited<ReturnType<typeof open>>, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.byteLength) {
    const { bytesRead } = await fh.read(buf, done, buf.byteLength - done, position + done);
    if (bytesRead === 0)
      throw new Error(`the file ended after ${position + done} bytes: it changed while being uploaded`);
    done += bytesRead;
  }
}

/** `https://ACCOUNT.blob.core.windows.net`, or the configured endpoint (a suffix as in Thanos, or a URL). */
function blobServiceUrl(opts: Pick<AzureBucketOptions, 'account' | 'endpoint'>): string {
  const endpoint = (opts.endpoint ?? '').trim().replace(/\/+$/, '');
  if (/^https?:\/\//i.test(endpoint)) return endpoint;
  if (opts.account === undefined || opts.account === '') {
    throw new ConfigError(
      'no Azure storage account: set PROMSHIP_AZURE_ACCOUNT (or AZURE_STORAGE_ACCOUNT) or storage_account in the objstore config',
    );
  }
  return `https://${opts.account}.${endpoint === '' ? 'blob.core.windows.net' : endpoint}`;
}

function withoutQuery(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function cleanEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const clean = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return clean.length > 0 ? clean : undefined;
}
