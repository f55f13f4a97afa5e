/**
 * What the S3, GCS and Azure buckets share in their errors: the context a bucket gives its error
 * mapper, the network codes Node and undici use for any store, how a judged SDK error becomes the
 * `BucketError` "<store> <operation> of "<key>" in <where> failed: <what> (<facts>); <what to
 * do>", and the error for a local file that cannot be read for upload. Which code an SDK error
 * gets, and what each store's credentials look like in a message, stay with each store
 * (s3-errors.ts, gcs-errors.ts, azure-errors.ts): the SDKs shape their errors differently.
 */
import { stat } from 'node:fs/promises';
import { BucketError, type BucketErrorCode } from '../errors.ts';

export interface StoreErrorContext {
  /** The store's name for the operation, e.g. `PutObject`, `objects.insert`, `PutBlob`. */
  operation: string;
  /** The full object key (or prefix) in the bucket, when there is one. */
  key?: string;
  /** The bucket's safe description. */
  where: string;
  /** Values that must never appear in a message (keys, tokens, connection strings). */
  secrets: readonly string[];
}

/** A store's judgement of an error: the stable code, what happened, and what to do about it. */
export interface StoreFailure {
  code: BucketErrorCode;
  what: string;
  todo: string;
}

/** How one store's SDK errors are read; the message around them is the same for every store. */
export interface StoreErrorDialect {
  /** The message's first word: `S3`, `GCS`, `Azure`. */
  store: string;
  classify(err: unknown, signal: AbortSignal | undefined): StoreFailure;
  /** The HTTP status, when the error came from a response. */
  statusOf(err: unknown): number | undefined;
  /** The store's error code or a Node network code, when known. */
  codeOf(err: unknown): string | undefined;
  /** Replaces the listed secrets, and whatever else looks like this store's credentials. */
  redact(text: string, secrets: readonly string[]): string;
  /** Drops what in the SDK's (redacted) message helps nobody; whitespace is folded afterwards. */
  tidy?(detail: string): string;
  /** Lists the SDK's message even when it says no more than the code (as GCS messages always have). */
  repeatsCode?: boolean;
}

/** Node and undici codes for a store that could not be reached or dropped the connection. */
export const NODE_UNREACHABLE_CODES: readonly string[] = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'EPROTO',
];

/** Node codes for a TLS certificate the connection would not accept. */
export const TLS_CERT_CODES: readonly string[] = [
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
];

/** Node and undici codes for a connection or socket that timed out. */
export const NODE_TIMEOUT_CODES: readonly string[] = ['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'];

const MAX_DETAIL = 300;

/** `v` when it is a non-empty string. */
export function stringField(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The error's own message, or the thrown value as text. */
export function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

/** The caller's signal fired, or the SDK says the request was aborted. */
export function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return name === 'AbortError';
}

/** Replaces every listed secret with `[REDACTED]`. */
export function redactListed(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    // Very short values would shred ordinary words; real keys are long.
    if (s.length >= 4) out = out.split(s).join('[REDACTED]');
  }
  return out;
}

/** Wraps an SDK (or network) error; already-wrapped `BucketError`s pass through unchanged. */
export function toStoreBucketError(
  err: unknown,
  ctx: StoreErrorContext,
  dialect: StoreErrorDialect,
  signal: AbortSignal | undefined,
): BucketError {
  if (err instanceof BucketError) return err;
  const { code, what, todo } = dialect.classify(err, signal);
  const status = dialect.statusOf(err);
  const storeCode = dialect.codeOf(err);
  const redacted = dialect.redact(messageOf(err), ctx.secrets);
  let detail = (dialect.tidy ? dialect.tidy(redacted) : redacted).replace(/\s+/g, ' ').trim();
  if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL)}…`;
  const facts = [
    status !== undefined ? `HTTP ${status}` : undefined,
    storeCode,
    detail.length > 0 && (dialect.repeatsCode === true || detail !== storeCode) ? detail : undefined,
  ].filter((x): x is string => x !== undefined);
  const target = ctx.key !== undefined ? ` of "${dialect.redact(ctx.key, ctx.secrets)}"` : '';
  const message =
    `${dialect.store} ${ctx.operation}${target} in ${ctx.where} failed: ${what}` +
    (facts.length > 0 ? ` (${facts.join(', ')})` : '') +
    `; ${todo}`;
  // No `cause`: SDK errors carry request details (key ids, signed headers, SAS, bearer tokens)
  // into logs; the message has the facts.
  return new BucketError(code, message, ctx.key !== undefined ? { key: ctx.key } : {});
}

/** The local file to upload as `full` cannot be read (gone, unreadable): promship's side, not the store's. */
export function localFileError(filePath: string, full: string, where: string, err: unknown): BucketError {
  return new BucketError(
    'PROMSHIP_BUCKET_LOCAL_FILE',
    `cannot read local file ${filePath} to upload as "${full}" to ${where}: ` +
      `${(err as Error).message}; check that the file exists and is readable`,
    { cause: err, key: full },
  );
}

/** The size of the local file to upload as `full`; a file that cannot be stat'ed is a `localFileError`. */
export async function localFileSize(filePath: string, full: string, where: string): Promise<number> {
  try {
    return (await stat(filePath)).size;
  } catch (err) {
    throw localFileError(filePath, full, where, err);
  }
}
