import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './prometheus.ts';
import { until } from './until.ts';

export interface NodeExporter {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Debian's prometheus-node-exporter on a free loopback port, stopped by its own PID. */
export async function startNodeExporter(): Promise<NodeExporter> {
  const port = await freePort();
  const child = spawn('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const address = `127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  await until(
    'node exporter answers',
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus-node-exporter exited with ${child.exitCode}`);
      const res = await fetch(`http://${address}/metrics`).catch(() => undefined);
      return res?.ok === true ? true : undefined;
    },
    30_000,
    100,
  );
  return { address, process: child, stop };
}
