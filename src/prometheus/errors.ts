import type { ErrorCode } from '../error-codes.ts';
import { PromshipError } from '../errors.ts';
import type { Window } from '../series.ts';

/** The codes of every way a remote read can fail (see `src/error-codes.ts`); callers branch on these, never on text. */
export type RemoteReadCode = Extract<ErrorCode, `PROMSHIP_REMOTE_READ_${string}`>;

/** A remote read (or the external-labels lookup) failed; `window` is set for reads. */
export class RemoteReadError extends PromshipError {
  override readonly code: RemoteReadCode;
  readonly window: Window | undefined;
  /** HTTP status, for `PROMSHIP_REMOTE_READ_HTTP`. */
  readonly status: number | undefined;

  constructor(code: RemoteReadCode, message: string, options?: { cause?: unknown; window?: Window; status?: number }) {
    super(message, options);
    this.code = code;
    this.window = options?.window;
    this.status = options?.status;
  }
}

/**
 * A fault found by a helper (frame parsing, decoding, credential files) that does not know which
 * request it serves. The client turns it into a `RemoteReadError` that names the window and the
 * server; `detail` must already be free of credentials.
 */
export class ReadFault extends Error {
  constructor(
    readonly code: RemoteReadCode,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'ReadFault';
  }
}
