/**
 * Turns whatever @azure/storage-blob (or @azure/identity) throws into a `BucketError` with a
 * stable `PROMSHIP_BUCKET_*` code and a message that names the operation, the blob and the HTTP
 * status / Azure error code, and says what to do. The SDK's `RestError` carries the request (its
 * `Authorization: SharedKey account:signature` header, a SAS query), so it is never kept as
 * `cause`; its message is scrubbed of secrets and folded into ours.
 */
import { BucketError, type BucketErrorCode } from '../errors.ts';

export interface AzureErrorContext {
  /** The Blob service operation, e.g. `PutBlob`. */
  operation: string;
  /** The full blob name (or prefix), when there is one. */
  key?: string;
  /** The bucket's safe description. */
  where: string;
  /** Values that must never appear in a message (account key, connection string, SAS). */
  secrets: readonly string[];
}

interface RestErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  statusCode?: unknown;
  details?: { errorCode?: unknown };
  cause?: unknown;
}

const ACCESS_DENIED_CODES = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'AuthorizationPermissionDenied',
  'InsufficientAccountPermissions',
  'AccountIsDisabled',
  'AuthorizationSourceIPMismatch',
  'AuthorizationProtocolMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
  'KeyBasedAuthenticationNotPermitted',
  'InvalidAuthenticationInfo',
  'NoAuthenticationInformation',
]);

const CREDENTIAL_ERROR_NAMES = new Set([
  'CredentialUnavailableError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
  'AuthenticationError',
]);

const UNREACHABLE_NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'EPROTO',
  'REQUEST_SEND_ERROR',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const TIMEOUT_NET_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'OperationTimedOut']);

const THROTTLING_CODES = new Set(['ServerBusy', 'OperationTimedOut', 'TooManyRequests']);

// AccountKey=…, SharedAccessSignature=…, sig=… in a URL, a SharedKey Authorization header value.
const SECRET_SHAPES: readonly RegExp[] = [
  /(AccountKey=)[^;\s]+/gi,
  /(SharedAccessSignature=)[^;\s]+/gi,
  /([?&]sig=)[^&\s]+/gi,
  /(SharedKey(?:Lite)? [^:\s]+:)\S+/g,
  /(Bearer )\S+/g,
];
const MAX_DETAIL = 300;

/** Replaces every secret (and anything shaped like an Azure key or SAS signature) with `[REDACTED]`. */
function redactAzureSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4) out = out.split(s).join('[REDACTED]');
  }
  for (const re of SECRET_SHAPES) out = out.replace(re, '$1[REDACTED]');
  return out;
}

function field(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The HTTP status, when the error came from a response. */
export function azureStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const s = (err as RestErrorShape).statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The Azure error code (`BlobNotFound`, `ContainerNotFound`, …) or Node network code, when known. */
export function azureCodeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as RestErrorShape;
  const own = field(e.details?.errorCode) ?? field(e.code);
  if (own) return own;
  if (e.cause !== undefined && e.cause !== err) return azureCodeOf(e.cause);
  return undefined;
}

function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  const name = typeof err === 'object' && err !== null ? (err as RestErrorShape).name : undefined;
  return name === 'AbortError';
}

function classify(
  err: unknown,
  signal: AbortSignal | undefined,
): { code: BucketErrorCode; what: string; todo: string } {
  const status = azureStatusOf(err);
  const code = azureCodeOf(err);
  const name = typeof err === 'object' && err !== null ? field((err as RestErrorShape).name) : undefined;
  if (isAbort(err, signal)) {
    // The caller's signal is the only cancellation promship asks for: any other abort is the
    // deadline of a try (AzureBucket.call), which the SDK's try timeout does not enforce on a silent server.
    if (signal?.aborted !== true) {
      return {
        code: 'PROMSHIP_BUCKET_TIMEOUT',
        what: `no answer within each try's deadline (pipeline_config.try_timeout and a grace), max_tries times`,
        todo: 'check the network path to the store and its load; promship retries later',
      };
    }
    return { code: 'PROMSHIP_BUCKET_ABORTED', what: 'aborted', todo: 'it was cancelled by promship' };
  }
  if (name !== undefined && CREDENTIAL_ERROR_NAMES.has(name)) {
    return {
      code: 'PROMSHIP_BUCKET_NO_CREDENTIALS',
      what: 'no Azure credentials could be obtained',
      todo:
        'set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_KEY (or storage_account_key in the objstore ' +
        'config), or give the pod a workload identity / managed identity (see docs/store-azure.md)',
    };
  }
  if (code === 'ContainerNotFound') {
    return {
      code: 'PROMSHIP_BUCKET_NOT_FOUND',
      what: 'the container does not exist',
      todo: 'check the container name, storage account and endpoint, or create the container',
    };
  }
  if ((code !== undefined && ACCESS_DENIED_CODES.has(code)) || status === 401 || status === 403) {
    return {
      code: 'PROMSHIP_BUCKET_ACCESS_DENIED',
      what: 'access denied',
      todo:
        'check the account key or connection string, or that the identity has the Storage Blob Data ' +
        'Contributor role on this container',
    };
  }
  if (status === 429 || status === 503 || (code !== undefined && THROTTLING_CODES.has(code) && status !== undefined)) {
    return {
      code: 'PROMSHIP_BUCKET_SERVER_ERROR',
      what: 'the store is throttling requests or busy',
      todo: 'promship retries later with backoff; if it persists, ship less often or check the storage account',
    };
  }
  if (code !== undefined && TIMEOUT_NET_CODES.has(code)) {
    return {
      code: 'PROMSHIP_BUCKET_TIMEOUT',
      what: 'timed out',
      todo: 'check the network path to the store and its load; promship retries later',
    };
  }
  if (code !== undefined && UNREACHABLE_NET_CODES.has(code)) {
    return {
      code: 'PROMSHIP_BUCKET_UNREACHABLE',
      what: 'the store is unreachable',
      todo: 'check the endpoint, DNS, TLS and network policy; promship retries later',
    };
  }
  if (status !== undefined && status >= 500) {
    return {
      code: 'PROMSHIP_BUCKET_SERVER_ERROR',
      what: 'the store reported a server error',
      todo: 'promship retries later; if it persists, check the storage account',
    };
  }
  if (status === undefined) {
    return {
      code: 'PROMSHIP_BUCKET_UNREACHABLE',
      what: 'no response from the store',
      todo: 'check the endpoint and network; promship retries later',
    };
  }
  if (code === 'Md5Mismatch' || code === 'InvalidMd5' || code === 'Crc64Mismatch') {
    return {
      code: 'PROMSHIP_BUCKET_SIZE_MISMATCH',
      what: 'the store received bytes whose checksum differs from what was sent',
      todo: 'the data was altered on the way; promship retries later',
    };
  }
  return {
    code: 'PROMSHIP_BUCKET_REQUEST',
    what: 'the store rejected the request',
    todo: 'check the container configuration (account, endpoint, container name)',
  };
}

/** Wraps an SDK (or network) error; already-wrapped `BucketError`s pass through unchanged. */
export function toAzureBucketError(err: unknown, ctx: AzureErrorContext, signal?: AbortSignal): BucketError {
  if (err instanceof BucketError) return err;
  const { code, what, todo } = classify(err, signal);
  const status = azureStatusOf(err);
  const azureCode = azureCodeOf(err);
  const rawMessage =
    typeof err === 'object' && err !== null && typeof (err as RestErrorShape).message === 'string'
      ? ((err as RestErrorShape).message as string)
      : String(err);
  // The service's XML error body ends in RequestId/Time lines that help nobody here.
  let detail = redactAzureSecrets(rawMessage, ctx.secrets)
    .replace(/RequestId:\S+/g, '')
    .replace(/Time:\S+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL)}…`;
  const facts = [
    status !== undefined ? `HTTP ${status}` : undefined,
    azureCode,
    detail.length > 0 && detail !== azureCode ? detail : undefined,
  ].filter((x): x is string => x !== undefined);
  const target = ctx.key !== undefined ? ` of "${redactAzureSecrets(ctx.key, ctx.secrets)}"` : '';
  const message =
    `Azure ${ctx.operation}${target} in ${ctx.where} failed: ${what}` +
    (facts.length > 0 ? ` (${facts.join(', ')})` : '') +
    `; ${todo}`;
  return new BucketError(code, message, ctx.key !== undefined ? { key: ctx.key } : {});
}
