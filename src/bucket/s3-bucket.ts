/**
 * `Bucket` on Amazon S3 and S3-compatible stores through @aws-sdk/client-s3. Keys are relative to
 * an optional prefix, like Thanos' prefixed bucket. Without static keys the SDK's standard
 * credential chain applies (environment, web identity / IRSA, container and instance metadata).
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type GetObjectCommandOutput,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BucketError, ConfigError } from '../errors.ts';
import { compareStrings } from '../labels.ts';
import type { Bucket, ObjectInfo } from './bucket.ts';
import { errorCodeOf, httpStatusOf, isMissingObject, toBucketError } from './s3-errors.ts';
import { MAX_PART_SIZE_BYTES, MIN_PART_SIZE_BYTES } from './s3-part-size.ts';
import { splitUserMetadata } from './s3-user-metadata.ts';
import { keyRoot, ObjectKeys } from './object-keys.ts';
import { localFileSize, type StoreErrorContext } from './store-errors.ts';
import { writeDownload } from './write-download.ts';

export type S3ServerSideEncryption =
  { type: 'SSE-S3' } | { type: 'SSE-KMS'; kmsKeyId: string; encryptionContext?: Record<string, string> };

export interface S3BucketOptions {
  bucket: string;
  /** Key prefix inside the bucket (Thanos' top-level `prefix`); slashes at either end are ignored. */
  prefix?: string;
  /**
   * `host[:port]` as in Thanos (scheme from `insecure`), or a full `http(s)://` URL. Omit for AWS
   * S3, where the SDK derives the endpoint from the region.
   */
  endpoint?: string;
  /** Defaults to us-east-1; when omitted, redirects to the bucket's real region are followed. */
  region?: string;
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** Plain http for a scheme-less endpoint. */
  insecure?: boolean;
  sse?: S3ServerSideEncryption;
  /**
   * `default`: the SDK's CRC checksums on every request (AWS S3). `when-required`: only where the
   * API demands one, for S3-compatible stores that reject or store aws-chunked bodies.
   */
  checksumMode?: 'default' | 'when-required';
  /**
   * Multipart part size for `uploadFile`; at least 5 MiB (S3's minimum). Values above 16 MiB are
   * lowered to it, to bound the memory parts in flight take.
   */
  partSizeBytes?: number;
  /** Idle time without progress before a request fails (also bounds connecting). */
  requestTimeoutMs?: number;
  /** Attempts per request including the first (SDK retries with backoff). */
  maxAttempts?: number;
  /**
   * Thanos' `put_user_metadata`, with the same meaning as in minio-go: `X-Amz-Acl` and
   * `X-Amz-Storage-Class` become the canned ACL and storage class, `Content-Type`-like standard
   * headers are set as such, anything else is user metadata (`x-amz-meta-…`). Other `X-Amz-*`
   * headers are rejected (see `splitUserMetadata`).
   */
  putUserMetadata?: Record<string, string>;
}

// Parts are buffered in memory: memory for one upload is about queueSize × partSize, which
// MAX_PART_SIZE_BYTES bounds (see s3-part-size.ts).
const UPLOAD_QUEUE_SIZE = 2;
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
const MAX_CONNECT_TIMEOUT_MS = 10_000;
/** Tries of a conditional PutObject that S3 answered 409 ConditionalRequestConflict. */
const CONDITIONAL_CONFLICT_ATTEMPTS = 5;
/** The SDK's own default number of attempts per request. */
const SDK_DEFAULT_ATTEMPTS = 3;
/** A GET whose body was cut (reset, timed out) is sent again after this long, doubling. */
const BODY_RETRY_DELAY_MS = 200;
/** Failures of a body read worth another GET: the answer was lost on the way, not refused. */
const BODY_RETRIED = new Set<string>(['PROMSHIP_BUCKET_UNREACHABLE', 'PROMSHIP_BUCKET_TIMEOUT']);

interface CallOptions {
  signal?: AbortSignal;
}

export class S3Bucket implements Bucket {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keys: ObjectKeys;
  private readonly partSize: number;
  private readonly secrets: string[];
  private readonly writeParams: Partial<PutObjectCommandInput>;
  /** Set once the bucket is known to exist, so a 404 on HEAD means "no such object". */
  private bucketSeen = false;
  /** GETs per read whose body keeps being cut; the SDK retries only until the headers arrive. */
  private readonly readAttempts: number;

  constructor(opts: S3BucketOptions) {
    if (opts.bucket.length === 0) {
      throw new ConfigError('S3 bucket name is empty: set the bucket name in the objstore config');
    }
    if ((opts.accessKeyId === undefined) !== (opts.secretAccessKey === undefined)) {
      throw new ConfigError(
        'S3 access key and secret key must be given together: set both, or neither to use the ' +
          'standard AWS credential chain (env, IRSA, instance role)',
      );
    }
    const requestedPartSize = opts.partSizeBytes ?? MAX_PART_SIZE_BYTES;
    if (!Number.isInteger(requestedPartSize) || requestedPartSize < MIN_PART_SIZE_BYTES) {
      throw new ConfigError(
        `S3 part size ${requestedPartSize} is below S3's minimum of ${MIN_PART_SIZE_BYTES} bytes (5 MiB): raise it`,
      );
    }
    // Larger parts only cost memory (the objstore config warns when it lowers part_size).
    const partSize = Math.min(requestedPartSize, MAX_PART_SIZE_BYTES);
    this.bucket = opts.bucket;
    const root = keyRoot(opts.prefix);
    this.partSize = partSize;
    this.secrets = [opts.accessKeyId, opts.secretAccessKey, opts.sessionToken].filter(
      (s): s is string => typeof s === 'string' && s.length > 0,
    );
    const meta = splitUserMetadata(opts.putUserMetadata ?? {});
    if (meta.unsupported.length > 0) {
      throw new ConfigError(
        `S3 put_user_metadata keys ${meta.unsupported.join(', ')} are not supported: remove them ` +
          '(supported: X-Amz-Acl, X-Amz-Storage-Class, standard content headers, plain metadata names)',
      );
    }
    this.writeParams = { ...sseParams(opts.sse), ...meta.params };

    const endpoint = endpointUrl(opts.endpoint, opts.insecure ?? false);
    const timeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const checksum = opts.checksumMode === 'when-required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
    const config: S3ClientConfig = {
      region: opts.region ?? 'us-east-1',
      followRegionRedirects: opts.region === undefined,
      forcePathStyle: opts.forcePathStyle ?? false,
      requestChecksumCalculation: checksum,
      responseChecksumValidation: checksum,
      requestHandler: {
        connectionTimeout: Math.min(timeout, MAX_CONNECT_TIMEOUT_MS),
        // An idle timeout, not a total one: a large part on a slow link may take long but
        // must keep moving.
        socketTimeout: timeout,
      },
    };
    if (endpoint !== undefined) config.endpoint = endpoint;
    if (opts.maxAttempts !== undefined) config.maxAttempts = opts.maxAttempts;
    this.readAttempts = Math.max(1, opts.maxAttempts ?? SDK_DEFAULT_ATTEMPTS);
    if (opts.accessKeyId !== undefined && opts.secretAccessKey !== undefined) {
      config.credentials = {
        accessKeyId: opts.accessKeyId,
        secretAccessKey: opts.secretAccessKey,
        ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
      };
    }
    this.client = new S3Client(config);

    const where = `s3://${this.bucket}${root ? `/${root}` : ''}`;
    this.description =
      endpoint !== undefined ? `${where} (endpoint ${endpoint})` : `${where} (region ${opts.region ?? 'us-east-1'})`;
    this.keys = new ObjectKeys(root, this.description);
  }

  async put(key: string, body: Uint8Array | string, opts: CallOptions = {}): Promise<void> {
    const full = this.keys.full(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.call('PutObject', full, opts.signal, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: full,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ...this.writeParams,
        }),
        { abortSignal: opts.signal },
      ),
    );
    this.bucketSeen = true;
    await this.verifySize(full, bytes.byteLength, opts.signal);
  }

  /**
   * PutObject with `If-None-Match: *` (AWS S3 since 2024, MinIO): 412 PreconditionFailed when the
   * key exists. 409 ConditionalRequestConflict means a concurrent conditional write to the key was
   * in flight; S3 says to retry, and the retry then sees the winner's object (412) or creates it.
   */
  async putIfAbsent(key: string, body: Uint8Array | string, opts: CallOptions = {}): Promise<boolean> {
    const full = this.keys.full(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: full,
            Body: bytes,
            ContentLength: bytes.byteLength,
            IfNoneMatch: '*',
            ...this.writeParams,
          }),
          { abortSignal: opts.signal },
        );
        this.bucketSeen = true;
        return true;
      } catch (err) {
        const status = httpStatusOf(err);
        const code = errorCodeOf(err);
        if (status === 412 || code === 'PreconditionFailed') return false;
        if (
          (status === 409 || code === 'ConditionalRequestConflict') &&
          attempt < CONDITIONAL_CONFLICT_ATTEMPTS &&
          !opts.signal?.aborted
        ) {
          await new Promise((r) => setTimeout(r, 50 * attempt));
          continue;
        }
        throw toBucketError(err, this.errorContext('PutObject', full), opts.signal);
      }
    }
  }

  async uploadFile(key: string, filePath: string, opts: CallOptions = {}): Promise<void> {
    const full = this.keys.full(key);
    const size = await localFileSize(filePath, full, this.description);
    if (opts.signal?.aborted) {
      throw toBucketError(opts.signal.reason, this.errorContext('Upload', full), opts.signal);
    }
    const body = createReadStream(filePath);
    const abort = new AbortController();
    const onAbort = (): void => abort.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: full, Body: body, ...this.writeParams },
        partSize: this.partSize,
        queueSize: UPLOAD_QUEUE_SIZE,
        leavePartsOnError: false,
        abortController: abort,
      });
      await this.call('Upload', full, opts.signal, () => upload.done());
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      body.destroy();
    }
    this.bucketSeen = true;
    await this.verifySize(full, size, opts.signal);
  }

  async get(key: string, opts: CallOptions = {}): Promise<Uint8Array | null> {
    return this.read(this.keys.full(key), opts.signal, async (res) => {
      if (res.Body === undefined) return new Uint8Array(0);
      return await res.Body.transformToByteArray();
    });
  }

  async download(key: string, filePath: string, opts: CallOptions = {}): Promise<boolean> {
    const full = this.keys.full(key);
    // Typed wide: set inside the callback, which the checker cannot follow.
    let started = false as boolean;
    const found = await this.read(full, opts.signal, async (res) => {
      started = true;
      // Sent again, the body starts the file again (the write stream truncates it).
      await writeDownload(
        (res.Body as Readable | undefined) ?? Readable.from([]),
        filePath,
        full,
        this.description,
        opts,
      );
      return true;
    });
    // The object went away between two tries: leave no part of it behind.
    if (found === null && started) await rm(filePath, { force: true });
    return found ?? false;
  }

  /**
   * GetObject of a full key, then `body` reads the answer's body; null when there is no such
   * object. The GET is sent again when the body is cut on the way (a reset connection, a stalled
   * socket): the SDK's retries end once the headers are in, S3 does reset long-lived connections
   * now and then, and a read is always safe to repeat. Failures before the headers were the SDK's
   * to retry.
   */
  private async read<T>(
    full: string,
    signal: AbortSignal | undefined,
    body: (res: GetObjectCommandOutput) => Promise<T>,
  ): Promise<T | null> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.call('GetObject', full, signal, () => this.getObject(full, signal));
      if (res === null) return null;
      try {
        return await this.call('GetObject', full, signal, () => body(res));
      } catch (err) {
        const code = (err as BucketError).code;
        if (signal?.aborted === true || attempt >= this.readAttempts || !BODY_RETRIED.has(code)) throw err;
        try {
          await sleep(BODY_RETRY_DELAY_MS * 2 ** (attempt - 1), undefined, signal ? { signal } : {});
        } catch (stopped) {
          throw toBucketError(stopped, this.errorContext('GetObject', full), signal);
        }
      }
    }
  }

  /** GetObject of a full key, or null when the object does not exist. */
  private async getObject(full: string, signal: AbortSignal | undefined): Promise<GetObjectCommandOutput | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: full }), {
        abortSignal: signal,
      });
      this.bucketSeen = true;
      return res;
    } catch (err) {
      if (isMissingObject(err)) return null;
      throw err;
    }
  }

  async stat(key: string, opts: CallOptions = {}): Promise<ObjectInfo | null> {
    return this.statFull(this.keys.full(key), opts.signal);
  }

  async listChildren(prefix: string, opts: CallOptions = {}): Promise<string[]> {
    const dir = this.keys.listPrefix(prefix);
    const out: string[] = [];
    await this.paginate(dir, '/', opts.signal, (page) => {
      for (const p of page.CommonPrefixes ?? []) {
        if (p.Prefix !== undefined) out.push(this.keys.relative(p.Prefix));
      }
      for (const o of page.Contents ?? []) {
        // A "directory marker" object named like the prefix itself is not a child (as in Thanos).
        if (o.Key !== undefined && o.Key !== dir) out.push(this.keys.relative(o.Key));
      }
    });
    return out.sort(compareStrings);
  }

  async listObjects(prefix: string, opts: CallOptions = {}): Promise<ObjectInfo[]> {
    const dir = this.keys.listPrefix(prefix);
    const out: ObjectInfo[] = [];
    await this.paginate(dir, undefined, opts.signal, (page) => {
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || o.Key === dir) continue;
        const info: ObjectInfo = { key: this.keys.relative(o.Key), size: o.Size ?? 0 };
        const etag = cleanEtag(o.ETag);
        if (etag !== undefined) info.etag = etag;
        out.push(info);
      }
    });
    return out.sort((a, b) => compareStrings(a.key, b.key));
  }

  async delete(key: string, opts: CallOptions = {}): Promise<void> {
    const full = this.keys.full(key);
    await this.call('DeleteObject', full, opts.signal, async () => {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: full }), {
          abortSignal: opts.signal,
        });
      } catch (err) {
        // S3 answers 204 for a missing key; some compatible stores say NoSuchKey instead.
        if (!isMissingObject(err)) throw err;
      }
    });
  }

  async abortIncompleteUploads(prefix: string, opts: CallOptions = {}): Promise<number> {
    const dir = this.keys.listPrefix(prefix);
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: dir,
            ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
            ...(uploadIdMarker !== undefined ? { UploadIdMarker: uploadIdMarker } : {}),
          }),
          { abortSignal: opts.signal },
        );
      } catch (err) {
        // Stores without ListMultipartUploads, and credentials without
        // s3:ListBucketMultipartUploads (Thanos' documented policy lacks it), cannot find these
        // uploads; a lifecycle rule (AbortIncompleteMultipartUpload) must clean them instead.
        if (!opts.signal?.aborted && cannotListUploads(err)) return aborted;
        throw toBucketError(err, this.errorContext('ListMultipartUploads', dir), opts.signal);
      }
      for (const u of page.Uploads ?? []) {
        // Only what lies below the prefix, even from a store that ignores Prefix.
        if (u.Key === undefined || u.UploadId === undefined || !u.Key.startsWith(dir)) continue;
        try {
          await this.client.send(
            new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }),
            { abortSignal: opts.signal },
          );
          aborted++;
        } catch (err) {
          // Completed or aborted by someone else meanwhile: nothing left to do.
          if (errorCodeOf(err) === 'NoSuchUpload' || (!opts.signal?.aborted && httpStatusOf(err) === 404)) continue;
          if (!opts.signal?.aborted && cannotListUploads(err)) return aborted;
          throw toBucketError(err, this.errorContext('AbortMultipartUpload', u.Key), opts.signal);
        }
      }
      if (!page.IsTruncated) return aborted;
      if (page.NextKeyMarker === undefined && page.NextUploadIdMarker === undefined) {
        throw new BucketError(
          'PROMSHIP_BUCKET_REQUEST',
          `S3 ListMultipartUploads of "${dir}" in ${this.description} returned a truncated page ` +
            'without markers; the store does not implement listing correctly',
          { key: dir },
        );
      }
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }

  private async statFull(full: string, signal: AbortSignal | undefined): Promise<ObjectInfo | null> {
    return this.call('HeadObject', full, signal, async () => {
      try {
        const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: full }), {
          abortSignal: signal,
        });
        this.bucketSeen = true;
        const info: ObjectInfo = { key: this.keys.relative(full), size: res.ContentLength ?? 0 };
        const etag = cleanEtag(res.ETag);
        if (etag !== undefined) info.etag = etag;
        return info;
      } catch (err) {
        if (!isMissingObject(err)) throw err;
      }
      await this.ensureBucketExists(signal);
      return null;
    });
  }

  /**
   * A HEAD answer has no body, so "no such bucket" and "no such object" are both a bare 404.
   * Asking once about the bucket keeps a wrong bucket name from passing as "not uploaded yet".
   */
  private async ensureBucketExists(signal: AbortSignal | undefined): Promise<void> {
    if (this.bucketSeen) return;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
    } catch (err) {
      if (httpStatusOf(err) === 404) {
        throw Object.assign(new Error('the bucket does not exist'), {
          name: 'NoSuchBucket',
          $metadata: { httpStatusCode: 404 },
        });
      }
      // Object-level permissions without bucket-level ones (403) say nothing about existence.
      if (httpStatusOf(err) !== 403) throw err;
    }
    this.bucketSeen = true;
  }

  /**
   * Some S3-compatible stores keep the aws-chunked framing of streamed uploads as object content;
   * the size is the cheap, reliable tell. A corrupt object is removed so no reader ever sees it.
   */
  private async verifySize(full: string, expected: number, signal: AbortSignal | undefined): Promise<void> {
    const info = await this.statFull(full, signal);
    if (info !== null && info.size === expected) return;
    if (info !== null) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: full })).catch(() => undefined);
    }
    throw new BucketError(
      'PROMSHIP_BUCKET_SIZE_MISMATCH',
      `S3 upload of "${full}" to ${this.description} stored ` +
        `${info === null ? 'nothing' : `${info.size} bytes`} instead of ${expected}: the store ` +
        `altered or lost the data; for S3-compatible stores set checksum mode "when-required"`,
      { key: full },
    );
  }

  private async paginate(
    prefix: string,
    delimiter: string | undefined,
    signal: AbortSignal | undefined,
    onPage: (page: {
      Contents?: { Key?: string; Size?: number; ETag?: string }[];
      CommonPrefixes?: { Prefix?: string }[];
    }) => void,
  ): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', prefix, signal, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(delimiter !== undefined ? { Delimiter: delimiter } : {}),
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
          { abortSignal: signal },
        ),
      );
      // Every ListBucketResult carries these; an answer with none of them is not a listing (an
      // HTML page from a proxy, an endpoint that is no S3 store), and taking it for an empty one
      // would hide every block in the bucket.
      if (page.IsTruncated === undefined && page.KeyCount === undefined && page.Name === undefined) {
        throw new BucketError(
          'PROMSHIP_BUCKET_REQUEST',
          `S3 ListObjectsV2 of "${prefix}" in ${this.description} was answered with something that is ` +
            'not a listing; check that the endpoint is the S3 API of the store, not a proxy or web page',
          { key: prefix },
        );
      }
      this.bucketSeen = true;
      onPage(page);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && token === undefined) {
        throw new BucketError(
          'PROMSHIP_BUCKET_REQUEST',
          `S3 ListObjectsV2 of "${prefix}" in ${this.description} returned a truncated page ` +
            'without a continuation token; the store does not implement listing correctly',
          { key: prefix },
        );
      }
    } while (token !== undefined);
  }

  private async call<T>(
    operation: string,
    key: string,
    signal: AbortSignal | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toBucketError(err, this.errorContext(operation, key), signal);
    }
  }

  private errorContext(operation: string, key: string): StoreErrorContext {
    return { operation, key, where: this.description, secrets: this.secrets };
  }
}

/** The store cannot list or abort multipart uploads for us: not implemented, or not permitted. */
function cannotListUploads(err: unknown): boolean {
  const status = httpStatusOf(err);
  const code = errorCodeOf(err);
  return status === 501 || status === 403 || code === 'NotImplemented' || code === 'AccessDenied';
}

function endpointUrl(endpoint: string | undefined, insecure: boolean): string | undefined {
  if (endpoint === undefined || endpoint.length === 0) return undefined;
  const url = /^https?:\/\//i.test(endpoint)
    ? endpoint.replace(/\/+$/, '')
    : `${insecure ? 'http' : 'https'}://${endpoint}`;
  // The endpoint is part of the bucket's description, which is logged: it must hold no secret.
  // The value itself is not repeated here, for the same reason.
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Refused here rather than by the SDK at every request, and without echoing the value.
    throw new ConfigError(
      'The S3 endpoint is not a URL like https://host:port or host:port: check PROMSHIP_S3_ENDPOINT, ' +
        'or `endpoint` in the objstore config',
    );
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError(
      'The S3 endpoint must not carry credentials (user:password@host): remove them and give the ' +
        'access key and secret key as the bucket credentials instead',
    );
  }
  return url;
}

function sseParams(sse: S3ServerSideEncryption | undefined): Partial<PutObjectCommandInput> {
  if (sse === undefined) return {};
  if (sse.type === 'SSE-S3') return { ServerSideEncryption: 'AES256' };
  const params: Partial<PutObjectCommandInput> = {
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: sse.kmsKeyId,
  };
  if (sse.encryptionContext !== undefined && Object.keys(sse.encryptionContext).length > 0) {
    params.SSEKMSEncryptionContext = Buffer.from(JSON.stringify(sse.encryptionContext)).toString('base64');
  }
  return params;
}

function cleanEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  const clean = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return clean.length > 0 ? clean : undefined;
}
