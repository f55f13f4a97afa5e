/**
 * A Prometheus that can be stopped and started again on the same port and data directory, as a
 * pod restart looks to a client that keeps its URL: connections are refused while it is down and
 * the same data is served once it is back.
 */
import { freePort, startPrometheus, type PrometheusExit, type PrometheusServer } from './prometheus.ts';

export interface RestartablePrometheus {
  url: string;
  port: number;
  /** SIGTERM (as Kubernetes stops a pod), SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<PrometheusExit>;
  /** Starts again on the same port and data directory; resolves once /-/ready answers. */
  start(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function startRestartablePrometheus(
  t: Teardown,
  opts: { dataDir: string; configDir: string; externalLabels: Record<string, string> },
): Promise<RestartablePrometheus> {
  const port = await freePort();
  let server: PrometheusServer | undefined;
  const start = async (): Promise<void> => {
    server ??= await startPrometheus({ ...opts, port });
  };
  const stop = async (graceMs = 10_000): Promise<PrometheusExit> => {
    const s = server;
    server = undefined;
    return s ? s.stop(graceMs) : { signal: null, exitCode: null, ms: 0 };
  };
  t.teardown(() => stop(2_000));
  await start();
  return { url: `http://127.0.0.1:${port}`, port, stop, start };
}
