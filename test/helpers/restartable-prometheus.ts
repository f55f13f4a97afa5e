/**
 * A Prometheus that can be stopped and started again on the same port and data directory, as a
 * pod restart looks to a client that keeps its URL: connections are refused while it is down and
 * the same data is served once it is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, PROMETHEUS_BIN } from './prometheus.ts';

export interface RestartablePrometheus {
  url: string;
  port: number;
  /** SIGTERM (as Kubernetes stops a pod), SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<{ signal: string | null; exitCode: number | null; ms: number }>;
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
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(opts.configDir, `prometheus-restartable-${port}.yml`);
  const ext = Object.entries(opts.externalLabels)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  await writeFile(configFile, `global:\n  scrape_interval: 1h\n  external_labels:\n${ext}\n`);
  let child: ChildProcess | undefined;
  let stderr = '';

  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${opts.dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=100y',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    proc.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child = proc;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}: ${stderr}`);
      try {
        if ((await fetch(`${url}/-/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`prometheus did not become ready: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async (graceMs = 10_000): Promise<{ signal: string | null; exitCode: number | null; ms: number }> => {
    const proc = child;
    child = undefined;
    const started = Date.now();
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return { signal: proc?.signalCode ?? null, exitCode: proc?.exitCode ?? null, ms: 0 };
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    return { signal: proc.signalCode, exitCode: proc.exitCode, ms: Date.now() - started };
  };

  t.teardown(() => stop(2_000));
  await start();
  return { url, port, stop, start };
}
