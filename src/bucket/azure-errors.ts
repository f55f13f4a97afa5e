/**
 * Turns whatever @azure/storage-blob (or @azure/identity) throws into a `BucketError` with a
 * stable `PROMSHIP_BUCKET_*` code and a message that names the operation, the blob and the HTTP
 * status / Azure error code, and says what to do. The SDK's `RestError` carries the request (its
 * `Authorization: SharedKey account:signature` header, a SAS query), so it is never kept as
 * `cause`; its message is scrubbed of secrets and folded into ours.
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

interface RestErrorShape {
  name?: unknown;
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

const UNREACHABLE_NET_CODES = new Set([...NODE_UNREACHABLE_CODES, 'REQUEST_SEND_ERROR', ...TLS_CERT_CODES]);

const TIMEOUT_NET_CODES = new Set([...NODE_TIMEOUT_CODES, 'OperationTimedOut']);

const THROTTLING_CODES = new Set(['ServerBusy', 'OperationTimedOut', 'TooManyRequests']);

// AccountKey=…, SharedAccessSignature=…, sig=… in a URL, a SharedKey Authorization header value.
const SECRET_SHAPES: readonly RegExp[] = [
  /(AccountKey=)[^;\s]+/gi,
  /(SharedAccessSignature=)[^;\s]+/gi,
  /([?&]sig=)[^&\s]+/gi,
  /(SharedKey(?:Lite)? [^:\s]+:)\S+/g,
  /(Bearer )\S+/g,
];

/** Replaces every secret (and anything shaped like an Azure key or SAS signature) with `[REDACTED]`. */
function redactAzureSecrets(text: string, secrets: readonly string[]): string {
  let out = redactListed(text, secrets);
  for (const re of SECRET_SHAPES) out = out.replace(re, '$1[REDACTED]');
  return out;
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
  const own = stringField(e.details?.errorCode) ?? stringField(e.code);
  if (own) return own;
  if (e.cause !== undefined && e.cause !== err) return azureCodeOf(e.cause);
  return undefined;
}

function classify(err: unknown, signal: AbortSignal | undefined): StoreFailure {
  const status = azureStatusOf(err);
  const code = azureCodeOf(err);
  const name = typeof err === 'object' && err !== null ? stringField((err as RestErrorShape).name) : undefined;
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

const AZURE_ERRORS: StoreErrorDialect = {
  store: 'Azure',
  classify,
  statusOf: azureStatusOf,
  codeOf: azureCodeOf,
  redact: redactAzureSecrets,
  // The service's XML error body ends in RequestId/Time lines that help nobody here.
  tidy: (detail) => detail.replace(/RequestId:\S+/g, '').replace(/Time:\S+/g, ''),
};

/** Wraps an SDK (or network) error; already-wrapped `BucketError`s pass through unchanged. */
export function toAzureBucketError(err: unknown, ctx: StoreErrorContext, signal?: AbortSignal): BucketError {
  return toStoreBucketError(err, ctx, AZURE_ERRORS, signal);
}
