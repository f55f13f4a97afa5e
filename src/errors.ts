import { isErrorCode, type ErrorCode } from './error-codes.ts';

/**
 * Every error promship raises on purpose carries a stable `code`, so callers (the shipper's retry
 * logic, metrics labels, tests) branch on the code and never on message text. Messages say what
 * went wrong and what to do about it.
 */
export class PromshipError extends Error {
  readonly code: ErrorCode = 'PROMSHIP_ERROR';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid configuration: the process stops at start with exit code 2 and this one line. */
export class ConfigError extends PromshipError {
  override readonly code: ErrorCode = 'PROMSHIP_CONFIG';
}

/** The stable code of one of our errors (or a cause of it), else `fallback`: never a foreign code. */
export function promshipCode(err: unknown, fallback: ErrorCode): ErrorCode {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && isErrorCode(code) ? code : fallback;
}

/** A message for logs that never exposes secrets: the cause chain's messages, joined. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    if (cur instanceof Error) {
      const code = (cur as { code?: unknown }).code;
      parts.push(typeof code === 'string' ? `${cur.message} [${code}]` : cur.message);
      cur = cur.cause;
    } else {
      // Not an Error: a primitive's text, never an object's fields (they may hold credentials).
      switch (typeof cur) {
        case 'string':
        case 'number':
        case 'boolean':
        case 'bigint':
        case 'symbol':
          parts.push(String(cur));
          break;
        default:
          parts.push('[object Object]');
      }
      break;
    }
  }
  return parts.join(': caused by: ');
}

/**
 * The codes shared by every bucket implementation, so the shipper decides "retry later" vs "stop and
 * tell the operator" without looking at store-specific errors.
 */
export type BucketErrorCode = Extract<ErrorCode, `PROMSHIP_BUCKET_${string}`>;

/** A bucket operation failed; `key` names the object (never a credential). */
export class BucketError extends PromshipError {
  override readonly code: BucketErrorCode;
  readonly key: string | undefined;

  constructor(code: BucketErrorCode, message: string, options?: { cause?: unknown; key?: string }) {
    super(message, options);
    this.code = code;
    this.key = options?.key;
  }
}
