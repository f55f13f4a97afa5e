/**
 * Turns whatever the AWS SDK throws into a `BucketError` with a stable code and a message that
 * names the operation, key and HTTP status / S3 error code and says what to do. SDK error objects
 * carry request details (the access key id, string-to-sign, sometimes headers), so they are never
 * kept as `cause`; their message is scrubbed of secrets and folded into ours.
 */
import type { BucketError } from '../errors.ts';
import {
  NODE_TIMEOUT_CODES,
  NODE_UNREACHABLE_CODES,
  TLS_CERT_CODES,
  isAbort,
  redactListed,
  stringField,
  toStoreBucketError,
  type StoreErrorContext,
  type StoreErrorDialect,
  type StoreFailure,
} from './store-errors.ts';

const ACCESS_DENIED_CODES = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
]);

const UNREACHABLE_NET_CODES = new Set([...NODE_UNREACHABLE_CODES, ...TLS_CERT_CODES]);

const THROTTLING_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

const TIMEOUT_NET_CODES = new Set(NODE_TIMEOUT_CODES);

// Long-term (AKIA) and temporary (ASIA) AWS access key ids, in case the SDK found keys we were
// not given (environment, profile files) and an error echoes them.
const AWS_KEY_ID = /\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,20}\b/g;

/** Replaces every secret (and anything shaped like an AWS key id) with `[REDACTED]`. */
function redactSecrets(text: string, secrets: readonly string[]): string {
  return redactListed(text, secrets).replace(AWS_KEY_ID, '[REDACTED]');
}

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown };
  cause?: unknown;
}

/** The HTTP status, when the error came from a response. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as SdkErrorShape;
  const s = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The S3 error code (`NoSuchKey`, `AccessDenied`, …) or Node network code, when known. */
export function errorCodeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as SdkErrorShape;
  const own = stringField(e.Code) ?? stringField(e.code);
  if (own) return own;
  const name = stringField(e.name);
  if (name && name !== 'Error' && name !== 'UnknownError') return name;
  // Connection failures sometimes arrive wrapped (e.g. AggregateError for dual-stack connects).
  if (e.cause !== undefined && e.cause !== err) return errorCodeOf(e.cause);
  return undefined;
}

/** True when the store says the object (not the bucket) does not exist. */
export function isMissingObject(err: unknown): boolean {
  const code = errorCodeOf(err);
  if (code === 'NoSuchKey' || code === 'NotFound') return true;
  // HEAD responses have no body, so a 404 there carries no S3 code at all.
  return httpStatusOf(err) === 404 && code !== 'NoSuchBucket';
}

function classify(err: unknown, signal: AbortSignal | undefined): StoreFailure {
  const status = httpStatusOf(err);
  const code = errorCodeOf(err);
  if (isAbort(err, signal)) {
    return { code: 'PROMSHIP_BUCKET_ABORTED', what: 'aborted', todo: 'it was cancelled by promship' };
  }
  if (code === 'CredentialsProviderError') {
    return {
      code: 'PROMSHIP_BUCKET_NO_CREDENTIALS',
      what: 'no credentials found',
      todo:
        'set access_key/secret_key in the objstore config, or provide AWS_ACCESS_KEY_ID/' +
        'AWS_SECRET_ACCESS_KEY, a web identity (IRSA) token, or an instance/container role',
    };
  }
  if (code === 'NoSuchBucket') {
    return {
      code: 'PROMSHIP_BUCKET_NOT_FOUND',
      what: 'the bucket does not exist',
      todo: 'check the bucket name, region and endpoint, or create the bucket',
    };
  }
  // Before the 401/403 test: S3 and MinIO answer a skewed clock with 403 RequestTimeTooSkewed,
  // which is no matter of keys or permissions.
  if (
    code === 'TimeoutError' ||
    code === 'RequestTimeout' ||
    code === 'RequestTimeTooSkewed' ||
    (code !== undefined && TIMEOUT_NET_CODES.has(code))
  ) {
    const skew = code === 'RequestTimeTooSkewed';
    return {
      code: skew ? 'PROMSHIP_BUCKET_REQUEST' : 'PROMSHIP_BUCKET_TIMEOUT',
      what: skew ? 'the clock of this machine is off' : 'timed out',
      todo: skew
        ? 'synchronise the system clock (NTP)'
        : 'check the network path to the store and its load; promship retries later',
    };
  }
  if ((code !== undefined && ACCESS_DENIED_CODES.has(code)) || status === 401 || status === 403) {
    return {
      code: 'PROMSHIP_BUCKET_ACCESS_DENIED',
      what: 'access denied',
      todo:
        'check the access key and secret key (or the IAM role) and that it may list, read, ' +
        'write and delete objects in this bucket',
    };
  }
  if (code !== undefined && UNREACHABLE_NET_CODES.has(code)) {
    return {
      code: 'PROMSHIP_BUCKET_UNREACHABLE',
      what: 'the store is unreachable',
      todo: 'check the endpoint, DNS, TLS settings (insecure) and network policy; promship retries later',
    };
  }
  if (status === 429 || (code !== undefined && THROTTLING_CODES.has(code))) {
    // Throttling is the store asking for a slower pace, not a configuration problem: the same
    // request succeeds later. S3 itself says 503 SlowDown; MinIO, Ceph and others also say 429.
    return {
      code: 'PROMSHIP_BUCKET_SERVER_ERROR',
      what: 'the store is throttling requests (too many requests)',
      todo:
        'promship retries later with backoff; if it persists, ship less often or ask the store ' +
        'operator to raise the request rate limit for this bucket',
    };
  }
  if (status === 413) {
    return {
      code: 'PROMSHIP_BUCKET_REQUEST',
      what: 'the request body is larger than the store accepts',
      todo: 'lower the multipart part size (part_size)',
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
    // No response at all and no recognised network code: treat as a connectivity problem.
    return {
      code: 'PROMSHIP_BUCKET_UNREACHABLE',
      what: 'no response from the store',
      todo: 'check the endpoint and network; promship retries later',
    };
  }
  return {
    code: 'PROMSHIP_BUCKET_REQUEST',
    what: 'the store rejected the request',
    todo: 'check the bucket configuration (endpoint, region, bucket_lookup_type, encryption)',
  };
}

const S3_ERRORS: StoreErrorDialect = {
  store: 'S3',
  classify,
  statusOf: httpStatusOf,
  codeOf: errorCodeOf,
  redact: redactSecrets,
  // The SDK's advice about hidden fields is for its own debugging, not for operators.
  tidy: (detail) => detail.replace(/Deserialization error:.*$/s, ''),
};

/** Wraps an SDK (or network) error; already-wrapped `BucketError`s pass through unchanged. */
export function toBucketError(err: unknown, ctx: StoreErrorContext, signal?: AbortSignal): BucketError {
  return toStoreBucketError(err, ctx, S3_ERRORS, signal);
}
