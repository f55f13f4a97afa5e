import { PromshipError } from '../errors.ts';
import type { Window } from '../series.ts';

/** Stable codes of every way a remote read can fail; callers branch on these, never on text. */
export const RemoteReadCode = {
  /** The window or matchers passed to `read()` are unusable (a bug in the caller). */
  InvalidRequest: 'PROMSHIP_REMOTE_READ_INVALID_REQUEST',
  /** A credential file (bearer token, password) could not be read. */
  Credentials: 'PROMSHIP_REMOTE_READ_CREDENTIALS',
  /** No connection: refused, DNS, TLS handshake, reset. */
  Connect: 'PROMSHIP_REMOTE_READ_CONNECT',
  /** Prometheus answered with a non-2xx status. */
  Http: 'PROMSHIP_REMOTE_READ_HTTP',
  /** Connecting, waiting for headers or waiting for the next body bytes took longer than allowed. */
  Timeout: 'PROMSHIP_REMOTE_READ_TIMEOUT',
  /** The caller's AbortSignal fired. */
  Aborted: 'PROMSHIP_REMOTE_READ_ABORTED',
  /** The response is neither the streamed nor the sampled remote-read format. */
  ContentType: 'PROMSHIP_REMOTE_READ_CONTENT_TYPE',
  /** A frame's CRC32C does not match its bytes. */
  FrameCrc: 'PROMSHIP_REMOTE_READ_FRAME_CRC',
  /** A frame announces more bytes than `maxFrameBytes`. */
  FrameTooLarge: 'PROMSHIP_REMOTE_READ_FRAME_TOO_LARGE',
  /** The body ended in the middle of a frame. */
  Truncated: 'PROMSHIP_REMOTE_READ_TRUNCATED',
  /** Bytes with a valid frame around them are not the protobuf message they should be. */
  Decode: 'PROMSHIP_REMOTE_READ_DECODE',
  /** Prometheus hit an error after it had sent status 200 and wrote the error text into the body. */
  StreamError: 'PROMSHIP_REMOTE_READ_STREAM_ERROR',
  /** `/api/v1/status/config` did not yield Prometheus' configuration. */
  Config: 'PROMSHIP_REMOTE_READ_CONFIG',
} as const;
export type RemoteReadCodeValue = (typeof RemoteReadCode)[keyof typeof RemoteReadCode];

/** A remote read (or the external-labels lookup) failed; `window` is set for reads. */
export class RemoteReadError extends PromshipError {
  override readonly code: RemoteReadCodeValue;
  readonly window: Window | undefined;
  /** HTTP status, for `PROMSHIP_REMOTE_READ_HTTP`. */
  readonly status: number | undefined;

  constructor(
    code: RemoteReadCodeValue,
    message: string,
    options?: { cause?: unknown; window?: Window; status?: number },
  ) {
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
    readonly code: RemoteReadCodeValue,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'ReadFault';
  }
}

