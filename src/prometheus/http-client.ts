/**
 * The two parts of undici promship uses: its connection pool (`Agent`) and its request API.
 * The package's index loads all of undici (fetch, WebSocket, caches, mocks, proxies, interceptors),
 * twice the code these two need, and every process that reads Prometheus (each `once`, each of the
 * agent's runs) compiled it at start. These are undici's own modules, bundled unchanged; a release
 * that moves them fails the build, and the remote-read tests exercise them against Prometheus.
 */
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import requestOn from 'undici/lib/api/api-request.js';

export type { Dispatcher };
export type Agent = UndiciAgent;
export type AgentOptions = UndiciAgent.Options;
export const Agent = AgentClass;

/** What `request` takes besides the URL: undici's request options, the method always given. */
export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'>;

/** `undici.request(url, { ...options, dispatcher })`, without the package's index. */
export function request(
  dispatcher: Dispatcher,
  url: string,
  options: RequestOptions,
): Promise<Dispatcher.ResponseData> {
  const { origin, pathname, search } = new URL(url);
  return requestOn.call(dispatcher, {
    ...options,
    origin,
    path: `${pathname}${search}`,
  });
}
