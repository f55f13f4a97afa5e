/**
 * Every failure of a request becomes one `RemoteReadError` whose message says which request
 * (window and endpoint), what went wrong and what to do. Transport errors from undici and Node are
 * classified by their codes here, in one place.
 */
import type { Window } from '../series.ts';
import { ReadFault, RemoteReadError, type RemoteReadCode } from './errors.ts';

export interface RequestContext {
  /** E.g. `remote read of window [..) from http://host/api/v1/read`. */
  what: string;
  window?: Window;
  signal?: AbortSignal;
  timeoutMs: number;
  /** Credentials of this request, replaced wherever they might appear in a message. */
  secrets?: readonly string[];
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

export function toRemoteReadError(err: unknown, ctx: RequestContext): RemoteReadError {
  if (err instanceof RemoteReadError) return err;
  if (err instanceof ReadFault) return failure(ctx, err.code, err.detail, err.cause);
  if (ctx.signal?.aborted === true) {
    return failure(ctx, 'PROMSHIP_REMOTE_READ_ABORTED', 'the caller cancelled it', err);
  }
  const code = transportCode(err);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return failure(ctx, 'PROMSHIP_REMOTE_READ_TIMEOUT', `nothing arrived for ${ctx.timeoutMs} ms (${code})`, err);
  }
  const text = err instanceof Error ? err.message : String(err);
  const withCode = code === undefined || text.includes(code) ? text : `${code}: ${text}`;
  return failure(ctx, 'PROMSHIP_REMOTE_READ_CONNECT', `the connection failed (${withCode})`, err);
}

/**
 * Codes of a connection that broke before any answer to the request came back, as when the server
 * (or a proxy in front of Prometheus) closes a kept-alive connection just as the request goes out
 * on it. Every request of the client only reads, so it can be sent again on a fresh connection.
 */
const DROPPED_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** Whether `err`, thrown before the answer's headers, is a dropped connection worth one more try. */
export function droppedBeforeAnswer(err: unknown): boolean {
  const code = transportCode(err);
  return code !== undefined && DROPPED_CODES.has(code);
}

export function httpFailure(ctx: RequestContext, status: number, excerpt: string): RemoteReadError {
  const quoted = excerpt.length > 0 ? `: "${excerpt}"` : ' (empty body)';
  return failure(ctx, 'PROMSHIP_REMOTE_READ_HTTP', `Prometheus answered HTTP ${status}${quoted}`, undefined, status);
}

export function failure(
  ctx: RequestContext,
  code: RemoteReadCode,
  detail: string,
  cause?: unknown,
  status?: number,
): RemoteReadError {
  let message = `${ctx.what} failed: ${detail}. ${advice(code, status)}`;
  for (const secret of ctx.secrets ?? []) {
    if (secret.length > 0) message = message.split(secret).join('<redacted>');
  }
  return new RemoteReadError(code, message, {
    ...(cause !== undefined ? { cause } : {}),
    ...(ctx.window !== undefined ? { window: ctx.window } : {}),
    ...(status !== undefined ? { status } : {}),
  });
}

function advice(code: RemoteReadCode, status: number | undefined): string {
  switch (code) {
    case 'PROMSHIP_REMOTE_READ_INVALID_REQUEST':
      return 'This is a bug in the caller; report it.';
    case 'PROMSHIP_REMOTE_READ_CREDENTIALS':
      return 'Fix the credential file; the next attempt reads it again.';
    case 'PROMSHIP_REMOTE_READ_CONNECT':
      return 'Check that Prometheus is running and reachable at this URL, and the TLS settings.';
    case 'PROMSHIP_REMOTE_READ_TIMEOUT':
      return 'Check the network and Prometheus load, or raise the timeout.';
    case 'PROMSHIP_REMOTE_READ_ABORTED':
      return 'Nothing to do unless the cancellation was unexpected.';
    case 'PROMSHIP_REMOTE_READ_CONTENT_TYPE':
      return "The URL does not lead to Prometheus' remote-read API (a proxy or login page?); check the URL.";
    case 'PROMSHIP_REMOTE_READ_FRAME_CRC':
      return 'The response was corrupted on the way; retry the window.';
    case 'PROMSHIP_REMOTE_READ_FRAME_TOO_LARGE':
      return "Raise maxFrameBytes or lower Prometheus' --storage.remote.read-max-bytes-in-frame.";
    case 'PROMSHIP_REMOTE_READ_TRUNCATED':
      return 'The response was cut off (Prometheus restarted, or a proxy or timeout closed the connection); retry the window.';
    case 'PROMSHIP_REMOTE_READ_DECODE':
      return 'The response is not valid remote-read data; check that the URL points at Prometheus, then retry.';
    case 'PROMSHIP_REMOTE_READ_STREAM_ERROR':
      return 'Prometheus failed while reading its storage; see its log, then retry the window.';
    case 'PROMSHIP_REMOTE_READ_CONFIG':
      return 'Check that the URL points at Prometheus and that its configuration is readable, or configure the external labels explicitly.';
    case 'PROMSHIP_REMOTE_READ_HTTP':
      return httpAdvice(status ?? 0);
  }
}

function httpAdvice(status: number): string {
  if (status === 401 || status === 403) {
    return 'Check the bearer token or basic-auth credentials for Prometheus.';
  }
  if (status === 404 || status === 405) {
    return 'Check the Prometheus URL (including any --web.route-prefix) and that the server offers remote read.';
  }
  if (status >= 400 && status < 500) {
    return 'Prometheus rejected the request; the quoted answer says why (e.g. raise --storage.remote.read-sample-limit, or read smaller windows).';
  }
  return 'Prometheus could not serve the request; see its log and retry later.';
}

/** undici and Node put the interesting code on the error, its cause, or an AggregateError's parts. */
function transportCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 4 && cur !== null && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (cur as { errors?: unknown }).errors;
    cur = Array.isArray(errors) && errors.length > 0 ? errors[0] : (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
