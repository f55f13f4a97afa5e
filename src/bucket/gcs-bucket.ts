/**
 * `Bucket` on Google Cloud Storage through @google-cloud/storage (the JSON API). Credentials come
 * from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, GKE Workload Identity,
 * the metadata server) unless the objstore config gives a service account; the SDK's own
 * STORAGE_EMULATOR_HOST works as for any SDK user. Loaded only by dynamic import (the SDK adds
 * ~30 MB RSS).
 *
 * Retries are promship's, not the SDK's: the SDK loses the promise of some calls whose answer is
 * cut (measured with @google-cloud/storage 7.22: `download()` of a 404 whose body is cut never
 * settles, with no socket or timer left), and it counts retries after no answer and after an
 * error status separately, so one call could make up to 2 × max_retries + 1 requests. So each
 * SDK call is one request, raced against a deadline of the request timeout plus a grace (for a
 * streamed body: that long without a byte moving) and against the caller's signal, and retried
 * here with backoff. Only chunked resumable uploads keep the SDK's retries, which resume a chunk
 * from the offset the store confirms.
 *
 * Uploads: small files go in one request, large ones as a resumable upload. Either way GCS makes
 * an object visible only once all its bytes are in, so a killed upload leaves nothing a reader
 * sees; an unfinished resumable session holds no object and expires after a week (GCS cannot
 * list them, so there is nothing to abort). Every upload is then checked against the size and
 * CRC32C the store reports, and an object that differs is deleted before anyone trusts it.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32c } from '../crc32c.ts';
import { IdempotencyStrategy, Storage, type File, type StorageOptions } from '@google-cloud/storage';
import { BucketError, ConfigError } from '../errors.ts';
import { compareStrings } from '../labels.ts';
import type { Bucket, ObjectInfo } from './bucket.ts';
import { isGcsNotFound, isPreconditionFailed, toGcsBucketError } from './gcs-errors.ts';
import { keyRoot, ObjectKeys } from './object-keys.ts';
import { localFileSize, type StoreErrorContext } from './store-errors.ts';
import { writeDownload } from './write-download.ts';

/**
 * A Google credentials JSON as the objstore `service_account` holds it: usually a service-account
 * key (`type: service_account`, `client_email`, `private_key`), but any type the SDK reads.
 */
export interface GcsServiceAccount {
  type: string;
  client_email?: string;
  private_key?: string;
  project_id?: string;
  [key: string]: unknown;
}

export interface GcsBucketOptions {
  bucket: string;
  /** Key prefix inside the bucket; slashes at either end are ignored. */
  prefix?: string;
  /** Inline service-account key (objstore `service_account`); otherwise Application Default Credentials. */
  serviceAccount?: GcsServiceAccount;
  /** `http(s)://host:port` of an emulator or private endpoint; STORAGE_EMULATOR_HOST also works. */
  apiEndpoint?: string;
  /** Attempts per request including the first (the SDK retries with backoff). */
  maxAttempts?: number;
  /** Longest one request may take before it is retried. */
  requestTimeoutMs?: number;
  /** Files at least this large are sent as resumable uploads. */
  resumableThresholdBytes?: number;
  /**
   * Objstore `chunk_size_bytes`: send resumable uploads in chunks of this size (a multiple of
   * 256 KiB), each held in memory until the store confirms it, so a cut connection resumes from
   * the last confirmed byte. Without it a large file goes in one streamed request, and a cut one
   * is sent again whole in a new session.
   */
  chunkSizeBytes?: number;
}

/** GCS accepts resumable chunks in multiples of 256 KiB. */
const GCS_CHUNK_QUANTUM = 256 * 1024;

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
/** How long past its request timeout a try may stay unsettled before promship stops waiting for it. */
const TRY_GRACE_MS = 2_000;
/** Longest wait between two tries (promship's, and the SDK's for chunked uploads). */
const MAX_RETRY_DELAY_MS = 10_000;
// Below this a file is read into memory and sent in one request (which the SDK can retry);
// above it, a resumable upload streams it without holding it.
const DEFAULT_RESUMABLE_THRESHOLD = 8 * 1024 * 1024;
const LIST_PAGE = 1000;

/** What an insert's answer says was stored: its size and its CRC32C (base64, as GCS gives it). */
interface StoredAnswer {
  size: number;
  crc32c: string;
}

interface CallOptions {
  signal?: AbortSignal;
}

/** What one try of an SDK call gets: its signal (caller or deadline), and `touch` for progress. */
interface Try {
  signal: AbortSignal;
  /** A streamed body moved: the try's deadline starts again. */
  touch: () => void;
}

/** Runs CRC32C over a stream as it passes, so a file is read once for upload and check. */
class Crc32cTap extends Transform {
  crc = 0;
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.crc = crc32c(chunk, this.crc) >>> 0;
    this.bytes += chunk.byteLength;
    done(null, chunk);
  }
}

function crc32cBase64(crc: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc >>> 0);
  return b.toString('base64');
}

export class GcsBucket implements Bucket {
  readonly description: string;
  /** SDK retries off: one request per call, retried by `call()`. */
  private readonly storage: Storage;
  /** SDK retries on, for chunked resumable uploads only (it resumes a cut chunk itself). */
  private readonly chunkedStorage: Storage | undefined;
  private readonly bucketName: string;
  private readonly keys: ObjectKeys;
  private readonly secrets: string[];
  private readonly timeoutMs: number;
  private readonly resumableThreshold: number;
  private readonly chunkSize: number | undefined;
  private readonly attempts: number;
  private bucketSeen = false;

  constructor(opts: GcsBucketOptions, env: NodeJS.ProcessEnv = process.env) {
    if (opts.bucket.length === 0) throw new ConfigError('GCS bucket name is empty: set the bucket name');
    this.bucketName = opts.bucket;
    const root = keyRoot(opts.prefix);
    this.timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.resumableThreshold = opts.resumableThresholdBytes ?? DEFAULT_RESUMABLE_THRESHOLD;
    // The private key and anything else secret-looking in the credentials JSON.
    this.secrets = Object.entries(opts.serviceAccount ?? {})
      .filter(([k, v]) => typeof v === 'string' && /key|secret|token/i.test(k))
      .map(([, v]) => v as string);
    this.attempts = Math.max(1, opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    if (opts.chunkSizeBytes !== undefined && opts.chunkSizeBytes > 0) {
      this.chunkSize = Math.ceil(opts.chunkSizeBytes / GCS_CHUNK_QUANTUM) * GCS_CHUNK_QUANTUM;
    }
    const config = (retries: number): StorageOptions => {
      const c: StorageOptions = {
        timeout: this.timeoutMs,
        retryOptions: {
          autoRetry: retries > 0,
          maxRetries: retries,
          maxRetryDelay: MAX_RETRY_DELAY_MS / 1000,
          // Every write promship makes is of final, deterministic bytes under a fresh key, so
          // repeating it is safe; the SDK's default would not retry uploads without preconditions.
          idempotencyStrategy: IdempotencyStrategy.RetryAlways,
        },
      };
      if (opts.apiEndpoint !== undefined) c.apiEndpoint = opts.apiEndpoint;
      if (opts.serviceAccount !== undefined) {
        // The whole credentials JSON, as Thanos hands it to google.CredentialsFromJSON: besides a
        // service-account key, Workload Identity Federation (`external_account`), a user's
        // (`authorized_user`) or impersonated credentials, which need more than the key's fields.
        c.credentials = opts.serviceAccount;
        if (typeof opts.serviceAccount.project_id === 'string') c.projectId = opts.serviceAccount.project_id;
      }
      return c;
    };
    this.storage = new Storage(config(0));
    this.chunkedStorage = this.chunkSize !== undefined ? new Storage(config(this.attempts - 1)) : undefined;
    const endpoint = opts.apiEndpoint ?? env.STORAGE_EMULATOR_HOST;
    const where = `gs://${this.bucketName}${root ? `/${root}` : ''}`;
    this.description = endpoint ? `${where} (endpoint ${safeEndpoint(endpoint)})` : where;
    this.keys = new ObjectKeys(root, this.description);
  }

  async put(key: string, body: Uint8Array | string, opts: CallOptions = {}): Promise<void> {
    const full = this.keys.full(key);
    const bytes =
      typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const answered = await this.call('objects.insert', full, opts.signal, () =>
      this.saveBuffer(full, bytes, undefined),
    );
    await this.verify(full, bytes.byteLength, crc32c(bytes) >>> 0, opts.signal, answered);
  }

  async putIfAbsent(key: string, body: Uint8Array | string, opts: CallOptions = {}): Promise<boolean> {
    const full = this.keys.full(key);
    const bytes =
      typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const written = await this.call('objects.insert', full, opts.signal, async () => {
      try {
        return { answered: await this.saveBuffer(full, bytes, 0) };
      } catch (err) {
        if (isPreconditionFailed(err)) return false;
        throw err;
      }
    });
    if (!written) return false;
    await this.verify(full, bytes.byteLength, crc32c(bytes) >>> 0, opts.signal, written.answered);
    return true;
  }

  async uploadFile(key: string, filePath: string, opts: CallOptions = {}): Promise<void> {
    const full = this.keys.full(key);
    const size = await localFileSize(filePath, full, this.description);
    if (size < this.resumableThreshold) {
      let bytes: Buffer;
      try {
        bytes = await readFile(filePath);
      } catch (err) {
        throw new BucketError(
          'PROMSHIP_BUCKET_LOCAL_FILE',
          `cannot read local file ${filePath}: ${(err as Error).message}`,
          { cause: err, key: full },
        );
      }
      const answered = await this.call('objects.insert', full, opts.signal, () =>
        this.saveBuffer(full, bytes, undefined),
      );
      await this.verify(full, bytes.byteLength, crc32c(bytes) >>> 0, opts.signal, answered);
      return;
    }
    // Without chunks the SDK cannot resume a cut stream (it refuses, to avoid data loss), so
    // `call()` sends the file again in a fresh session; the abandoned session holds no object and
    // expires. With chunks the SDK resumes from the confirmed offset, so it keeps its retries, and
    // the deadline allows for them between two chunks.
    const chunked = this.chunkedStorage;
    let tap = new Crc32cTap();
    await this.call(
      'objects.insert (resumable)',
      full,
      opts.signal,
      ({ signal, touch }) => {
        tap = new Crc32cTap();
        tap.on('data', touch);
        return pipeline(
          createReadStream(filePath),
          tap,
          (chunked ?? this.storage)
            .bucket(this.bucketName)
            .file(full)
            .createWriteStream({
              resumable: true,
              validation: false,
              timeout: this.timeoutMs,
              contentType: 'application/octet-stream',
              ...(this.chunkSize !== undefined ? { chunkSize: this.chunkSize } : {}),
            }),
          { signal },
        );
      },
      chunked === undefined
        ? {}
        : { tries: 1, deadlineMs: this.attempts * (this.timeoutMs + MAX_RETRY_DELAY_MS) + TRY_GRACE_MS },
    );
    this.bucketSeen = true;
    if (tap.bytes !== size) {
      throw new BucketError(
        'PROMSHIP_BUCKET_LOCAL_FILE',
        `local file ${filePath} changed size while it was uploaded as "${full}" (${size} then ${tap.bytes} bytes)`,
        { key: full },
      );
    }
    await this.verify(full, tap.bytes, tap.crc, opts.signal);
  }

  async get(key: string, opts: CallOptions = {}): Promise<Uint8Array | null> {
    const full = this.keys.full(key);
    const data = await this.call('objects.get', full, opts.signal, async () => {
      try {
        const [bytes] = await this.file(full).download({ validation: false });
        this.bucketSeen = true;
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (err) {
        if (isGcsNotFound(err)) return null;
        throw err;
      }
    });
    if (data === null) await this.bucketMissing(opts.signal);
    return data;
  }

  async download(key: string, filePath: string, opts: CallOptions = {}): Promise<boolean> {
    const full = this.keys.full(key);
    // Asked first so a missing object leaves no empty file behind.
    if ((await this.statFull(full, opts.signal)) === null) return false;
    await this.call('objects.get', full, opts.signal, ({ signal, touch }) =>
      writeDownload(
        this.file(full).createReadStream({ validation: false }).on('data', touch),
        filePath,
        full,
        this.description,
        { signal },
      ),
    );
    return true;
  }

  async stat(key: string, opts: CallOptions = {}): Promise<ObjectInfo | null> {
    return this.statFull(this.keys.full(key), opts.signal);
  }

  async listChildren(prefix: string, opts: CallOptions = {}): Promise<string[]> {
    const dir = this.keys.listPrefix(prefix);
    // The emulator repeats every prefix on every page; real GCS does not: a set serves both.
    const out = new Set<string>();
    await this.paginate(dir, '/', opts.signal, (names, prefixes) => {
      for (const p of prefixes) out.add(this.keys.relative(p));
      for (const n of names) if (n.name !== dir) out.add(this.keys.relative(n.name));
    });
    return [...out].sort(compareStrings);
  }

  async listObjects(prefix: string, opts: CallOptions = {}): Promise<ObjectInfo[]> {
    const dir = this.keys.listPrefix(prefix);
    const out = new Map<string, ObjectInfo>();
    await this.paginate(dir, undefined, opts.signal, (objects) => {
      for (const o of objects) {
        if (o.name === dir) continue;
        const info: ObjectInfo = { key: this.keys.relative(o.name), size: o.size };
        if (o.etag !== undefined) info.etag = o.etag;
        out.set(info.key, info);
      }
    });
    return [...out.values()].sort((a, b) => compareStrings(a.key, b.key));
  }

  async delete(key: string, opts: CallOptions = {}): Promise<void> {
    const full = this.keys.full(key);
    await this.call('objects.delete', full, opts.signal, async () => {
      try {
        await this.file(full).delete();
      } catch (err) {
        if (!isGcsNotFound(err)) throw err;
      }
    });
  }

  /**
   * GCS has no listing of unfinished resumable sessions: they hold no object, are invisible to
   * readers and expire after a week on their own. Nothing to abort.
   */
  abortIncompleteUploads(): Promise<number> {
    return Promise.resolve(0);
  }

  close(): Promise<void> {
    // The SDK keeps no connections or timers that outlive a request.
    return Promise.resolve();
  }

  private file(full: string): File {
    return this.storage.bucket(this.bucketName).file(full);
  }

  /**
   * A simple upload. Returns what the store's answer says it stored (the object resource of an
   * insert carries its size and CRC32C), so `verify` need not ask again; undefined when the
   * answer lacks either.
   */
  private async saveBuffer(
    full: string,
    bytes: Buffer,
    ifGenerationMatch: number | undefined,
  ): Promise<StoredAnswer | undefined> {
    const file = this.file(full);
    await file.save(bytes, {
      resumable: false,
      validation: false,
      contentType: 'application/octet-stream',
      timeout: this.timeoutMs,
      ...(ifGenerationMatch !== undefined ? { preconditionOpts: { ifGenerationMatch } } : {}),
    });
    this.bucketSeen = true;
    const md = file.metadata as { size?: unknown; crc32c?: unknown } | undefined;
    const size = typeof md?.size === 'string' || typeof md?.size === 'number' ? Number(md.size) : NaN;
    if (!Number.isSafeInteger(size) || typeof md?.crc32c !== 'string') return undefined;
    return { size, crc32c: md.crc32c };
  }

  private async statFull(
    full: string,
    signal: AbortSignal | undefined,
  ): Promise<(ObjectInfo & { crc32c?: string }) | null> {
    const info = await this.call('objects.get (metadata)', full, signal, async () => {
      try {
        const [md] = await this.file(full).getMetadata();
        this.bucketSeen = true;
        const found: ObjectInfo & { crc32c?: string } = { key: this.keys.relative(full), size: Number(md.size ?? 0) };
        const etag =
          typeof md.md5Hash === 'string' ? md.md5Hash : typeof md.crc32c === 'string' ? md.crc32c : undefined;
        if (etag !== undefined) found.etag = etag;
        if (typeof md.crc32c === 'string') found.crc32c = md.crc32c;
        return found;
      } catch (err) {
        if (isGcsNotFound(err)) return null;
        throw err;
      }
    });
    if (info === null) await this.bucketMissing(signal);
    return info;
  }

  /**
   * A 404 on an object does not tell a missing object from a missing bucket in every case;
   * listing once does, so a wrong bucket name cannot pass as "not uploaded yet": throws
   * PROMSHIP_BUCKET_NOT_FOUND for a missing bucket.
   */
  private async bucketMissing(signal: AbortSignal | undefined): Promise<void> {
    if (this.bucketSeen) return;
    const missing = await this.call('objects.list', this.keys.root, signal, async () => {
      try {
        await this.storage
          .bucket(this.bucketName)
          .getFiles({ maxResults: 1, autoPaginate: false, prefix: this.keys.root });
        return false;
      } catch (err) {
        if (isGcsNotFound(err)) return true;
        throw err;
      }
    });
    if (missing) {
      throw new BucketError(
        'PROMSHIP_BUCKET_NOT_FOUND',
        `GCS bucket ${this.description} does not exist (HTTP 404); check the bucket name, or create the bucket`,
      );
    }
    this.bucketSeen = true;
  }

  /**
   * The store's size and CRC32C of what it now holds must equal what was sent; a differing object
   * is deleted so no reader trusts it. Taken from the upload's own answer when it said
   * (`answered`: one request less per object), else asked for.
   */
  private async verify(
    full: string,
    size: number,
    crc: number,
    signal: AbortSignal | undefined,
    answered?: StoredAnswer,
  ): Promise<void> {
    const want = crc32cBase64(crc);
    const info = answered ?? (await this.statFull(full, signal));
    if (info !== null && info.size === size && (info.crc32c === undefined || info.crc32c === want)) return;
    if (info !== null)
      await this.call('objects.delete', full, signal, () => this.file(full).delete(), { tries: 1 }).catch(
        () => undefined,
      );
    const sizeWrong = info === null || info.size !== size;
    throw new BucketError(
      sizeWrong ? 'PROMSHIP_BUCKET_SIZE_MISMATCH' : 'PROMSHIP_BUCKET_CHECKSUM_MISMATCH',
      `GCS upload of "${full}" to ${this.description} stored ` +
        (info === null
          ? 'nothing'
          : sizeWrong
            ? `${info.size} bytes instead of ${size}`
            : `bytes whose CRC32C is ${info.crc32c ?? '?'} instead of ${want}`) +
        ': the store or something in between altered or lost the data; the object was removed and the upload is retried',
      { key: full },
    );
  }

  private async paginate(
    prefix: string,
    delimiter: string | undefined,
    signal: AbortSignal | undefined,
    onPage: (objects: { name: string; size: number; etag?: string }[], prefixes: string[]) => void,
  ): Promise<void> {
    let pageToken: string | undefined;
    const seenTokens = new Set<string>();
    do {
      const [files, next, raw] = await this.call('objects.list', prefix, signal, () =>
        this.storage.bucket(this.bucketName).getFiles({
          prefix,
          autoPaginate: false,
          maxResults: LIST_PAGE,
          ...(delimiter !== undefined ? { delimiter } : {}),
          ...(pageToken !== undefined ? { pageToken } : {}),
        }),
      );
      this.bucketSeen = true;
      const prefixes = (raw as { prefixes?: unknown } | undefined)?.prefixes;
      onPage(
        files.map((f) => {
          const md = f.metadata;
          const etag =
            typeof md.md5Hash === 'string' ? md.md5Hash : typeof md.crc32c === 'string' ? md.crc32c : undefined;
          return { name: f.name, size: Number(md.size ?? 0), ...(etag !== undefined ? { etag } : {}) };
        }),
        Array.isArray(prefixes) ? prefixes.filter((p): p is string => typeof p === 'string') : [],
      );
      pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
      if (pageToken !== undefined) {
        if (seenTokens.has(pageToken)) {
          throw new BucketError(
            'PROMSHIP_BUCKET_REQUEST',
            `GCS objects.list of "${prefix}" in ${this.description} returned a page token twice; the store does not list correctly`,
            { key: prefix },
          );
        }
        seenTokens.add(pageToken);
      }
    } while (pageToken !== undefined);
  }

  /**
   * One SDK call, tried up to `tries` times (default: max attempts) with backoff while it fails
   * in a way worth trying again. Each try ends by the first of: the SDK settling; the caller's
   * signal; the deadline (default: the request timeout plus a grace, started again by `touch`),
   * which fails the try with PROMSHIP_BUCKET_TIMEOUT even where the SDK would never settle.
   */
  private async call<T>(
    operation: string,
    key: string,
    signal: AbortSignal | undefined,
    fn: (attempt: Try) => Promise<T>,
    opts: { tries?: number; deadlineMs?: number } = {},
  ): Promise<T> {
    const tries = opts.tries ?? this.attempts;
    const deadlineMs = opts.deadlineMs ?? this.timeoutMs + TRY_GRACE_MS;
    for (let attempt = 1; ; attempt++) {
      let failure: BucketError;
      try {
        return await this.oneTry(operation, key, signal, fn, deadlineMs);
      } catch (err) {
        failure = toGcsBucketError(err, this.errorContext(operation, key), signal);
      }
      if (attempt >= tries || signal?.aborted || !retryable(failure)) throw failure;
      // 0.5 s, 1 s, 2 s, … up to 10 s.
      await sleep(Math.min(MAX_RETRY_DELAY_MS, 250 * 2 ** attempt), signal);
    }
  }

  private oneTry<T>(
    operation: string,
    key: string,
    signal: AbortSignal | undefined,
    fn: (attempt: Try) => Promise<T>,
    deadlineMs: number,
  ): Promise<T> {
    const deadline = new AbortController();
    const expire = (): void =>
      deadline.abort(
        new BucketError(
          'PROMSHIP_BUCKET_TIMEOUT',
          `GCS ${operation} of "${key}" in ${this.description} failed: no answer within ${deadlineMs} ms ` +
            '(http_config.response_header_timeout plus a grace), and the SDK had not ended the request; ' +
            'check the network path to the store and its load; promship retries later',
          { key },
        ),
      );
    let timer = setTimeout(expire, deadlineMs);
    const touch = (): void => {
      clearTimeout(timer);
      timer = setTimeout(expire, deadlineMs);
    };
    const trySignal = signal === undefined ? deadline.signal : AbortSignal.any([signal, deadline.signal]);
    let onAbort: (() => void) | undefined;
    return new Promise<T>((resolve, reject) => {
      onAbort = (): void => reject(trySignal.reason as Error);
      if (trySignal.aborted) {
        onAbort();
        return;
      }
      trySignal.addEventListener('abort', onAbort, { once: true });
      // An SDK promise settling after the abort changes nothing: a promise settles once.
      fn({ signal: trySignal, touch }).then(resolve, reject);
    }).finally(() => {
      clearTimeout(timer);
      if (onAbort !== undefined) trySignal.removeEventListener('abort', onAbort);
    });
  }

  private errorContext(operation: string, key: string): StoreErrorContext {
    return { operation, key, where: this.description, secrets: this.secrets };
  }
}

/** Worth sending again: the store or the path to it failed, not the request or the permissions. */
function retryable(err: unknown): boolean {
  const code = err instanceof BucketError ? err.code : undefined;
  return (
    code === 'PROMSHIP_BUCKET_UNREACHABLE' ||
    code === 'PROMSHIP_BUCKET_TIMEOUT' ||
    code === 'PROMSHIP_BUCKET_SERVER_ERROR'
  );
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The endpoint without any user:password part, for the logged description. */
function safeEndpoint(endpoint: string): string {
  try {
    const u = new URL(/^[a-z]+:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(custom endpoint)';
  }
}
