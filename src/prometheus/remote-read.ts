/**
 * Reads one time window of every series from Prometheus' remote-read API, preferring streamed XOR
 * chunks (Prometheus' stored chunks, no re-encoding on our side) and accepting the sampled
 * response from servers that do not stream.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { compressSync } from '../snappy.ts';
import { ConfigError } from '../errors.ts';
import { compareStrings, type Label, type Labels } from '../labels.ts';
import type { SeriesChunks, Window } from '../series.ts';
import { authorization, type BasicAuth } from './credentials.ts';
import { formatWindow } from '../series.ts';
import {
  droppedBeforeAnswer,
  failure,
  httpFailure,
  toRemoteReadError,
  type RequestContext,
} from './explain-failure.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './frame-reader.ts';
import { Agent, request, type AgentOptions, type Dispatcher, type RequestOptions } from './http-client.ts';
import { encodeReadRequest, type LabelMatcher, type ResponseTypeName } from './read-request.ts';
import { seriesFromSampledResponse } from './sampled-series.ts';
import { StreamedSeries } from './streamed-series.ts';
import { printableExcerpt } from './text-excerpt.ts';
import { USER_AGENT } from './user-agent.ts';

export type { LabelMatcher, ResponseTypeName } from './read-request.ts';
export type { BasicAuth } from './credentials.ts';

export interface TlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
}

export interface RemoteReadClientOptions {
  /** Prometheus' base URL, e.g. `http://prometheus:9090` or `https://host/prometheus`. */
  url: string;
  /**
   * Longest wait for a connection, for the response headers, and between two pieces of the body.
   * Not a limit on the whole read, which for a large window legitimately takes a while.
   */
  timeoutMs: number;
  bearerTokenFile?: string;
  basicAuth?: BasicAuth;
  tls?: TlsOptions;
  /**
   * Extra request headers (e.g. a tenant header for a proxy). Values of 8 or more characters are
   * treated as secrets and never shown in errors.
   */
  headers?: Record<string, string>;
  /** Largest frame accepted from a streamed response; default 64 MiB. */
  maxFrameBytes?: number;
  /** Response types offered to the server, in order of preference; default STREAMED_XOR_CHUNKS only. */
  acceptedResponseTypes?: readonly ResponseTypeName[];
}

export interface ReadOptions {
  signal?: AbortSignal;
  /** Default: every series (`__name__=~".+"`). */
  matchers?: readonly LabelMatcher[];
}

const ALL_SERIES: readonly LabelMatcher[] = [{ type: 'RE', name: '__name__', value: '.+' }];
const STREAMED_MEDIA_TYPE = 'application/x-streamed-protobuf';
const STREAMED_PROTO = 'prometheus.chunkedreadresponse';
const SAMPLED_MEDIA_TYPE = 'application/x-protobuf';
const EXCERPT_BYTES = 4096;
const MIN_HEADER_SECRET_CHARS = 8;

export class RemoteReadClient {
  readonly #readUrl: string;
  readonly #configUrl: string;
  readonly #metricsUrl: string;
  readonly #timeoutMs: number;
  readonly #maxFrameBytes: number;
  readonly #accepted: readonly ResponseTypeName[];
  readonly #options: RemoteReadClientOptions;
  readonly #agentOptions: AgentOptions;
  /** Replaced when a connection turns out dropped (see `#request`); the one before is closing. */
  #agent: Agent;
  readonly #retired = new Set<Promise<void>>();

  constructor(options: RemoteReadClientOptions) {
    const base = parseBaseUrl(options.url);
    this.#readUrl = `${base}/api/v1/read`;
    this.#configUrl = `${base}/api/v1/status/config`;
    this.#metricsUrl = `${base}/metrics`;
    if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
      throw new ConfigError(`Prometheus timeoutMs must be a positive number of ms, got ${options.timeoutMs}.`);
    }
    if (options.bearerTokenFile !== undefined && options.basicAuth !== undefined) {
      throw new ConfigError('Configure either a bearer token file or basic auth for Prometheus, not both.');
    }
    if (options.basicAuth?.password !== undefined && options.basicAuth.passwordFile !== undefined) {
      throw new ConfigError('Configure either a basic-auth password or a password file for Prometheus, not both.');
    }
    this.#timeoutMs = options.timeoutMs;
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#accepted = options.acceptedResponseTypes ?? ['STREAMED_XOR_CHUNKS'];
    if (this.#accepted.length === 0) {
      throw new ConfigError('acceptedResponseTypes must name at least one response type.');
    }
    this.#options = options;
    this.#agentOptions = {
      connect: { ...tlsConnectOptions(options.tls), timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    };
    this.#agent = new Agent(this.#agentOptions);
  }

  /**
   * Every series with samples in `[window.start, window.end)`, in the order Prometheus sends them
   * (sorted by the labels it stores, which is not always the order of the labels yielded, as
   * those include Prometheus' external labels: see `stripExternalLabels`). A series split over
   * several frames comes out once. Chunk bytes are views into the response; chunk times are as
   * sent (a MaxInt64 open-chunk marker would arrive as an unsafe integer). A SAMPLES answer comes
   * out as `samples`, series sorted by their labels.
   */
  async *read(window: Window, opts: ReadOptions = {}): AsyncGenerator<SeriesChunks, void, undefined> {
    for await (const batch of this.readBatches(window, opts)) yield* batch;
  }

  /**
   * `read` in batches: the series completed by each piece of the body, in the same order. An
   * async generator costs a promise and microtask turns per value it yields; per series, that
   * was a measurable part of reading a quarter million series.
   */
  async *readBatches(window: Window, opts: ReadOptions = {}): AsyncGenerator<SeriesChunks[], void, undefined> {
    const ctx: RequestContext = {
      what: `Remote read of window ${formatWindow(window)} from ${this.#readUrl}`,
      window,
      timeoutMs: this.#timeoutMs,
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    };
    if (!(Number.isSafeInteger(window.start) && Number.isSafeInteger(window.end) && window.start < window.end)) {
      throw failure(ctx, 'PROMSHIP_REMOTE_READ_INVALID_REQUEST', 'the window must be integer ms with start < end');
    }
    let body: Dispatcher.ResponseData['body'] | undefined;
    const secrets: string[] = [];
    ctx.secrets = secrets;
    /** Set once a 200 answer's body is being read: a lost connection then means a cut answer. */
    let answering = false;
    try {
      const requestBody = compressSync(
        encodeReadRequest({
          startMs: window.start,
          // The query range is closed; the window is half-open.
          endMs: window.end - 1,
          matchers: opts.matchers ?? ALL_SERIES,
          acceptedResponseTypes: this.#accepted,
        }),
      );
      const auth = await this.#authorization();
      secrets.push(...auth.secrets);
      const response = await this.#request(this.#readUrl, {
        method: 'POST',
        headers: {
          ...auth.headers,
          'content-type': 'application/x-protobuf',
          'content-encoding': 'snappy',
          'x-prometheus-remote-read-version': '0.1.0',
        },
        body: requestBody,
        signal: opts.signal ?? null,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      body = response.body;
      if (response.statusCode < 200 || response.statusCode > 299) {
        throw httpFailure(ctx, response.statusCode, await excerptOf(body, secrets));
      }
      const contentType = headerValue(response.headers['content-type']);
      const contentEncoding = headerValue(response.headers['content-encoding']).trim().toLowerCase();
      const kind = responseKind(contentType);
      answering = true;
      if (kind === 'streamed' && (contentEncoding === '' || contentEncoding === 'identity')) {
        // One promise per piece of the body (the network's), none per frame or series.
        const stream = new StreamedSeries({ maxFrameBytes: this.#maxFrameBytes, secrets });
        for await (const piece of body) {
          stream.push(piece as Uint8Array);
          const batch: SeriesChunks[] = [];
          for (let s = stream.next(); s !== undefined; s = stream.next()) batch.push(s);
          if (batch.length > 0) yield batch;
        }
        const last = stream.end();
        if (last !== undefined) yield [last];
      } else if (kind === 'sampled' && contentEncoding === 'snappy') {
        yield await seriesFromSampledResponse(await drain(body));
      } else {
        const excerpt = await excerptOf(body, secrets);
        throw failure(
          ctx,
          'PROMSHIP_REMOTE_READ_CONTENT_TYPE',
          `the response has Content-Type "${printableExcerpt(Buffer.from(contentType), secrets)}" and Content-Encoding "${printableExcerpt(Buffer.from(contentEncoding), secrets)}", which is no remote-read response${excerpt.length > 0 ? `; it starts with "${excerpt}"` : ''}`,
        );
      }
    } catch (err) {
      const error = toRemoteReadError(err, ctx);
      // The connection broke in the middle of the answer (Prometheus restarting, a proxy or load
      // balancer closing it): that is a cut answer, not a server that cannot be reached.
      if (answering && error.code === 'PROMSHIP_REMOTE_READ_CONNECT') {
        const why = err instanceof Error ? err.message : String(err);
        throw failure(
          ctx,
          'PROMSHIP_REMOTE_READ_TRUNCATED',
          `the connection closed before the end of the answer (${why})`,
          err,
        );
      }
      throw error;
    } finally {
      // Stops the transfer when the consumer stops early or a frame fails; no-op once drained.
      body?.destroy();
    }
  }

  /**
   * Prometheus' own `global.external_labels`, which remote read adds to every series: from
   * `/api/v1/status/config`.
   */
  async externalLabels(opts: { signal?: AbortSignal } = {}): Promise<Labels> {
    const what = `Reading Prometheus' external labels from ${this.#configUrl}`;
    return this.#get(this.#configUrl, what, 'application/json', opts.signal, (bytes, ctx) =>
      externalLabelsFromConfigResponse(bytes, (detail) => failure(ctx, 'PROMSHIP_REMOTE_READ_CONFIG', detail)),
    );
  }

  /**
   * Prometheus' `storage.tsdb.out_of_order_time_window` (ms; 0 when unset), from
   * `/api/v1/status/config`: how long after a window ends Prometheus still accepts samples into it.
   */
  async outOfOrderTimeWindow(opts: { signal?: AbortSignal } = {}): Promise<number> {
    const what = `Reading Prometheus' out-of-order time window from ${this.#configUrl}`;
    return this.#get(this.#configUrl, what, 'application/json', opts.signal, (bytes, ctx) =>
      outOfOrderWindowFromConfigResponse(bytes, (detail) => failure(ctx, 'PROMSHIP_REMOTE_READ_CONFIG', detail)),
    );
  }

  /**
   * The oldest sample time Prometheus holds (ms), from its own `prometheus_tsdb_lowest_timestamp`
   * metric; undefined when the metric is missing. Older windows need not be read at all.
   */
  async lowestTimestamp(opts: { signal?: AbortSignal } = {}): Promise<number | undefined> {
    const what = `Reading Prometheus' oldest sample time from ${this.#metricsUrl}`;
    return this.#get(this.#metricsUrl, what, 'text/plain', opts.signal, (bytes) => {
      const m = /^prometheus_tsdb_lowest_timestamp ([^\s]+)$/m.exec(Buffer.from(bytes).toString('utf8'));
      const value = m ? Number(m[1]) : NaN;
      return Number.isSafeInteger(value) ? value : undefined;
    });
  }

  async #get<T>(
    url: string,
    what: string,
    accept: string,
    signal: AbortSignal | undefined,
    parse: (bytes: Uint8Array, ctx: RequestContext) => T,
  ): Promise<T> {
    const ctx: RequestContext = { what, timeoutMs: this.#timeoutMs, ...(signal !== undefined ? { signal } : {}) };
    let body: Dispatcher.ResponseData['body'] | undefined;
    try {
      const auth = await this.#authorization();
      ctx.secrets = auth.secrets;
      const response = await this.#request(url, {
        method: 'GET',
        headers: { ...auth.headers, accept },
        signal: signal ?? null,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      body = response.body;
      if (response.statusCode < 200 || response.statusCode > 299) {
        throw httpFailure(ctx, response.statusCode, await excerptOf(body, auth.secrets));
      }
      return parse(await drain(body), ctx);
    } catch (err) {
      throw toRemoteReadError(err, ctx);
    } finally {
      body?.destroy();
    }
  }

  /**
   * One request, sent a second time when the first one's connection broke before any answer. A
   * kept-alive connection can be closed by Prometheus, or by a proxy in front of it, at the very
   * moment a request goes out on it, and undici fails the request. The other idle connections
   * were likely closed by the same timeout, so the second try goes out on a fresh one, from a new
   * agent; the old agent finishes what it carries and closes. A read changes nothing on the
   * server, so sending it again is safe. Only once: a server that drops every request is still a
   * failure of the window.
   */
  async #request(url: string, options: RequestOptions): Promise<Dispatcher.ResponseData> {
    const agent = this.#agent;
    try {
      return await request(agent, url, options);
    } catch (err) {
      if ((options.signal instanceof AbortSignal && options.signal.aborted) || !droppedBeforeAnswer(err)) throw err;
      if (this.#agent === agent) {
        this.#agent = new Agent(this.#agentOptions);
        const closing = agent.close().catch(() => undefined);
        this.#retired.add(closing);
        void closing.then(() => this.#retired.delete(closing));
      }
      return await request(this.#agent, url, options);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#agent.close(), ...this.#retired]);
  }

  async #authorization(): Promise<{ headers: Record<string, string>; secrets: string[] }> {
    const auth = await authorization(this.#options);
    const custom = Object.entries(this.#options.headers ?? {});
    // Lower-cased so a user's `Content-Type` cannot sit next to ours as a second header.
    const headers: Record<string, string> = Object.fromEntries(custom.map(([k, v]) => [k.toLowerCase(), v]));
    headers['user-agent'] = USER_AGENT;
    if (auth.header !== undefined) headers.authorization = auth.header;
    // Custom header values may be tokens; very short ones are not, and redacting them would
    // blank out random letters of every message.
    const secrets = [...auth.secrets, ...custom.map(([, v]) => v).filter((v) => v.length >= MIN_HEADER_SECRET_CHARS)];
    return { headers, secrets };
  }
}

function outOfOrderWindowFromConfigResponse(bytes: Uint8Array, fail: (detail: string) => Error): number {
  const config = configFromResponse(bytes, fail);
  const raw = (config as { storage?: { tsdb?: { out_of_order_time_window?: unknown } } | null } | null)?.storage?.tsdb
    ?.out_of_order_time_window;
  if (raw === undefined || raw === null) return 0;
  const ms = typeof raw === 'string' ? prometheusDurationMs(raw) : undefined;
  if (ms === undefined) throw fail('storage.tsdb.out_of_order_time_window is not a duration');
  return ms;
}

const DURATION_UNITS: Record<string, number> = {
  y: 365 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

/** A Prometheus duration (`1h30m`, `0s`, `10m`) in ms; undefined when it is not one. */
function prometheusDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  if (!/^(\d+(ms|[ywdhms]))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|[ywdhms])/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return total;
}

function configFromResponse(bytes: Uint8Array, fail: (detail: string) => Error): unknown {
  let yamlText: unknown;
  try {
    const json: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    yamlText = (json as { data?: { yaml?: unknown } } | null)?.data?.yaml;
  } catch {
    throw fail(`the answer is not JSON (it starts with "${printableExcerpt(bytes)}")`);
  }
  if (typeof yamlText !== 'string') throw fail('the answer has no data.yaml string');
  try {
    return parseYaml(yamlText);
  } catch (err) {
    throw fail(`data.yaml is not YAML (${(err as Error).message})`);
  }
}

function externalLabelsFromConfigResponse(bytes: Uint8Array, fail: (detail: string) => Error): Labels {
  let yamlText: unknown;
  try {
    const json: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    yamlText = (json as { data?: { yaml?: unknown } } | null)?.data?.yaml;
  } catch {
    throw fail(`the answer is not JSON (it starts with "${printableExcerpt(bytes)}")`);
  }
  if (typeof yamlText !== 'string') throw fail('the answer has no data.yaml string');
  let config: unknown;
  try {
    config = parseYaml(yamlText);
  } catch (err) {
    throw fail(`data.yaml is not YAML (${(err as Error).message})`);
  }
  const external = (config as { global?: { external_labels?: unknown } } | null)?.global?.external_labels;
  if (external === undefined || external === null) return [];
  if (typeof external !== 'object' || Array.isArray(external)) {
    throw fail('global.external_labels is not a map');
  }
  const labels: Label[] = [];
  for (const [name, value] of Object.entries(external)) {
    if (typeof value !== 'string') throw fail(`global.external_labels.${name} is not a string`);
    labels.push([name, value]);
  }
  return labels.sort((a, b) => compareStrings(a[0], b[0]));
}

function parseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('The Prometheus URL is not a valid URL; use e.g. http://prometheus:9090.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`The Prometheus URL must use http or https, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    // The URL ends up in every error message, so it must not carry credentials.
    throw new ConfigError('The Prometheus URL must not contain credentials; configure basic auth instead.');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigError('The Prometheus URL must not have a query or fragment; give the base URL only.');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function tlsConnectOptions(tls: TlsOptions | undefined): {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
} {
  if (tls === undefined) return {};
  const read = (path: string | undefined, what: string): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw new ConfigError(`Cannot read the Prometheus TLS ${what} file ${path} (${String(code)}); check the path.`, {
        cause: err,
      });
    }
  };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new ConfigError('Prometheus TLS needs both certFile and keyFile for a client certificate, or neither.');
  }
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean } = {};
  const ca = read(tls.caFile, 'CA');
  const cert = read(tls.certFile, 'certificate');
  const key = read(tls.keyFile, 'key');
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  if (tls.insecureSkipVerify === true) out.rejectUnauthorized = false;
  return out;
}

function responseKind(contentType: string): 'streamed' | 'sampled' | 'other' {
  const [media = '', ...params] = contentType
    .toLowerCase()
    .split(';')
    .map((s) => s.trim());
  if (media === STREAMED_MEDIA_TYPE) {
    return params.some((p) => p.replace(/\s+/g, '') === `proto=${STREAMED_PROTO}`) ? 'streamed' : 'other';
  }
  return media === SAMPLED_MEDIA_TYPE ? 'sampled' : 'other';
}

function headerValue(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

/** The whole body: one copy into a buffer of the final size. */
async function drain(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** The start of an error body, printable and without secrets; empty if it cannot be read. */
async function excerptOf(body: AsyncIterable<Uint8Array>, secrets: readonly string[]): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const part of body) {
      parts.push(part as Buffer);
      size += part.length;
      if (size >= EXCERPT_BYTES) break;
    }
  } catch {
    // The excerpt only decorates the message; the status says what matters.
  }
  return printableExcerpt(Buffer.concat(parts), secrets);
}
