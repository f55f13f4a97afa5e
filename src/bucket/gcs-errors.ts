/**
 * Turns whatever @google-cloud/storage (or gaxios, or google-auth-library beneath it) throws into
 * a `BucketError` with a stable code and a message that names the operation, key and HTTP status
 * and says what to do. SDK errors carry request options (headers with bearer tokens), so they are
 * never kept as `cause`; their message is scrubbed and folded into ours.
 */
import type { BucketError } from '../errors.ts';
import {
  NODE_TIMEOUT_CODES,
  NODE_UNREACHABLE_CODES,
  isAbort,
  messageOf,
  redactListed,
  toStoreBucketError,
  type StoreErrorContext,
  type StoreErrorDialect,
  type StoreFailure,
} from './store-errors.ts';

interface GcsErrorShape {
  code?: unknown;
  status?: unknown;
  response?: { status?: unknown };
  cause?: unknown;
}

const UNREACHABLE_NET_CODES = new Set([...NODE_UNREACHABLE_CODES, 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
const TIMEOUT_NET_CODES = new Set([...NODE_TIMEOUT_CODES, 'UND_ERR_HEADERS_TIMEOUT']);
// PEM blocks and OAuth bearer tokens, in case an error echoes a key file or a request header.
const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g;
const BEARER = /Bearer\s+[A-Za-z0-9._~+/=-]+/gi;
const ACCESS_TOKEN = /\bya29\.[A-Za-z0-9._-]+/g;
// A resumable upload's session URI is itself a credential: whoever holds it can upload into the
// session, without any other, for up to a week. The SDK quotes it when the upload's PUT fails.
const UPLOAD_ID = /([?&]upload_id=)[^&\s"'<>]+/gi;

function redactGcsSecrets(text: string, secrets: readonly string[]): string {
  return redactListed(text, secrets)
    .replace(PEM, '[REDACTED]')
    .replace(BEARER, 'Bearer [REDACTED]')
    .replace(ACCESS_TOKEN, '[REDACTED]')
    .replace(UPLOAD_ID, '$1[REDACTED]');
}

/** The HTTP status of the answer, when the error came from one. */
function gcsStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as GcsErrorShape;
  // ApiError: numeric `code`; GaxiosError: `response.status` (and `status`).
  for (const v of [e.response?.status, e.status, e.code]) if (typeof v === 'number' && v >= 100 && v < 600) return v;
  return undefined;
}

/** A Node network code (`ECONNRESET`, ...) anywhere in the error's cause chain. */
function netCodeOf(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 5) return undefined;
  const e = err as GcsErrorShape;
  if (typeof e.code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+|ERR_[A-Z_]+)$/.test(e.code)) return e.code;
  return netCodeOf(e.cause, depth + 1);
}

export function isGcsNotFound(err: unknown): boolean {
  return gcsStatusOf(err) === 404;
}

/** 412: an `ifGenerationMatch` precondition failed (the object exists, for `0`). */
export function isPreconditionFailed(err: unknown): boolean {
  return gcsStatusOf(err) === 412;
}

function classify(err: unknown, signal: AbortSignal | undefined): StoreFailure {
  const status = gcsStatusOf(err);
  const net = netCodeOf(err);
  const msg = messageOf(err);
  if (isAbort(err, signal)) {
    return { code: 'PROMSHIP_BUCKET_ABORTED', what: 'aborted', todo: 'it was cancelled by promship' };
  }
  if (
    /could not load the default credentials|Unable to detect a Project Id|invalid_grant|private key/i.test(msg) &&
    status === undefined
  ) {
    return {
      code: 'PROMSHIP_BUCKET_NO_CREDENTIALS',
      what: 'no usable Google credentials',
      todo:
        'set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, give the pod a GKE Workload ' +
        'Identity service account, or set service_account in the objstore config',
    };
  }
  if (status === 404 && /bucket/i.test(msg) && !/No such object/i.test(msg)) {
    return {
      code: 'PROMSHIP_BUCKET_NOT_FOUND',
      what: 'the bucket does not exist',
      todo: 'check the bucket name, or create the bucket',
    };
  }
  if (status === 401 || status === 403) {
    return {
      code: 'PROMSHIP_BUCKET_ACCESS_DENIED',
      what: 'access denied',
      todo: 'grant the service account roles/storage.objectAdmin on this bucket (list, read, write and delete objects)',
    };
  }
  if (status === 408 || (net !== undefined && TIMEOUT_NET_CODES.has(net)) || /timeout|timed out/i.test(msg)) {
    return {
      code: 'PROMSHIP_BUCKET_TIMEOUT',
      what: 'timed out',
      todo: 'check the network path to the store and its load; promship retries later',
    };
  }
  if (/could result in data loss|Initiate a new upload/i.test(msg)) {
    // The SDK gave up on a resumable session it could not continue (the connection was cut
    // mid-body): the store failed the upload, not the request.
    return {
      code: 'PROMSHIP_BUCKET_SERVER_ERROR',
      what: 'the upload session was cut and cannot be continued',
      todo: 'the file is sent again in a new session; promship retries later',
    };
  }
  if (status === 429) {
    return {
      code: 'PROMSHIP_BUCKET_SERVER_ERROR',
      what: 'the store is throttling requests (too many requests)',
      todo: 'promship retries later with backoff',
    };
  }
  if (status !== undefined && status >= 500) {
    return {
      code: 'PROMSHIP_BUCKET_SERVER_ERROR',
      what: 'the store reported a server error',
      todo: 'promship retries later; if it persists, check the store',
    };
  }
  if (status === undefined) {
    return {
      code: 'PROMSHIP_BUCKET_UNREACHABLE',
      what:
        net !== undefined && UNREACHABLE_NET_CODES.has(net) ? 'the store is unreachable' : 'no response from the store',
      todo: 'check STORAGE_EMULATOR_HOST (if set), DNS and network policy; promship retries later',
    };
  }
  return {
    code: 'PROMSHIP_BUCKET_REQUEST',
    what: 'the store rejected the request',
    todo: 'check the bucket name and configuration',
  };
}

const GCS_ERRORS: StoreErrorDialect = {
  store: 'GCS',
  classify,
  statusOf: gcsStatusOf,
  codeOf: netCodeOf,
  redact: redactGcsSecrets,
  repeatsCode: true,
};

/** Wraps an SDK (or network) error; already-wrapped `BucketError`s pass through unchanged. */
export function toGcsBucketError(err: unknown, ctx: StoreErrorContext, signal?: AbortSignal): BucketError {
  return toStoreBucketError(err, ctx, GCS_ERRORS, signal);
}
