/**
 * A throwaway local Prometheus for the demo and the tests (Debian's `prometheus` package): data
 * made with `promtool tsdb create-blocks-from openmetrics`, a server on a free loopback port with
 * its own dirs, and `promtool tsdb dump` as an independent view of any block directory.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile, readdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIG = 1024 * 1024 * 1024;

const PROMETHEUS_BIN = 'prometheus';
const PROMTOOL_BIN = 'promtool';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Writes `text` (OpenMetrics, ending in `# EOF`) and turns it into blocks under `dataDir`. */
export async function createBlocksFromOpenMetrics(text: string, dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, '..', `input-${process.pid}-${Date.now()}.om`);
  await writeFile(file, text);
  await run(PROMTOOL_BIN, ['tsdb', 'create-blocks-from', 'openmetrics', file, dataDir], {
    maxBuffer: BIG,
  });
}

export interface PromtoolDumpOptions {
  minTime?: number;
  maxTime?: number;
  match?: string;
}

/**
 * `promtool tsdb dump` of a directory of blocks: one line per sample, `{labels} value tsMs`.
 * promtool wants a `wal` dir; one is made when missing (harmless for a block-only dir).
 */
export async function promtoolDump(dir: string, opts: PromtoolDumpOptions = {}): Promise<string[]> {
  await mkdir(join(dir, 'wal'), { recursive: true });
  const args = ['tsdb', 'dump'];
  if (opts.minTime !== undefined) args.push(`--min-time=${opts.minTime}`);
  if (opts.maxTime !== undefined) args.push(`--max-time=${opts.maxTime}`);
  if (opts.match !== undefined) args.push(`--match=${opts.match}`);
  args.push(dir);
  const { stdout } = await run(PROMTOOL_BIN, args, { maxBuffer: 4 * BIG });
  return stdout.split('\n').filter((l) => l.length > 0);
}

export async function promtoolAnalyze(dir: string, blockId?: string): Promise<string> {
  const args = ['tsdb', 'analyze', dir];
  if (blockId) args.push(blockId);
  const { stdout } = await run(PROMTOOL_BIN, args, { maxBuffer: BIG });
  return stdout;
}

export interface PrometheusServer {
  url: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s); resolves once it has exited. */
  stop(graceMs?: number): Promise<PrometheusExit>;
}

export interface PrometheusExit {
  signal: string | null;
  exitCode: number | null;
  ms: number;
}

export interface StartPrometheusOptions {
  dataDir: string;
  /** Where the config file is written; defaults to the data dir's parent. */
  configDir?: string;
  externalLabels?: Record<string, string>;
  extraArgs?: string[];
  /** Extra YAML appended to the config (e.g. scrape configs). */
  extraConfig?: string;
  /** Listen on this port (e.g. to come back where a stopped server was); default a free one. */
  port?: number;
}

export async function startPrometheus(opts: StartPrometheusOptions): Promise<PrometheusServer> {
  const port = opts.port ?? (await freePort());
  const configDir = opts.configDir ?? join(opts.dataDir, '..');
  await mkdir(configDir, { recursive: true });
  await mkdir(opts.dataDir, { recursive: true });
  const configFile = join(configDir, `prometheus-${port}.yml`);
  const ext = Object.entries(opts.externalLabels ?? {})
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  await writeFile(
    configFile,
    `global:\n  scrape_interval: 1h\n${ext ? `  external_labels:\n${ext}\n` : ''}${opts.extraConfig ?? ''}`,
  );
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${opts.dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=100y',
      '--log.level=warn',
      ...(opts.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async (graceMs = 10_000): Promise<PrometheusExit> => {
    const started = Date.now();
    if (child.exitCode !== null || child.signalCode !== null)
      return { signal: child.signalCode, exitCode: child.exitCode, ms: 0 };
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    return { signal: child.signalCode, exitCode: child.exitCode, ms: Date.now() - started };
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      // A listener that never answers must not stall the start past its deadline.
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, dataDir: opts.dataDir, process: child, stop };
}

/** Block directories (ULID names) directly under `dir`. */
export async function listBlockDirs(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names) {
    if (/^[0-9A-HJKMNP-TV-Z]{26}$/.test(n) && (await stat(join(dir, n))).isDirectory()) out.push(n);
  }
  return out.sort();
}
