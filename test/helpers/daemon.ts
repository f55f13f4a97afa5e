/**
 * `promship run` in a child process, as Kubernetes runs it: started with an environment, watched
 * through its JSON log lines and HTTP endpoints, stopped with a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { CLI_ARGS } from './cli.ts';
import { outputRecorder } from './output-log.ts';
import { until } from './until.ts';
import { nodeCommand } from './node-command.ts';

export interface RunningDaemon {
  child: ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  waitForLog(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  signal(sig: NodeJS.Signals): void;
  /**
   * SIGKILL for the agent and its run process at the same instant, as the kernel kills a pod's
   * container; resolves once both are gone.
   */
  killAll(): Promise<void>;
}

/** A process's children, from the kernel (not from anything promship reports). */
export async function childPids(pid: number): Promise<number[]> {
  try {
    const text = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim();
    return text === '' ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

export async function isAlive(pid: number): Promise<boolean> {
  try {
    return !/^\d+ \(.*\) Z/.test(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** `command` defaults to `promship run` (see `CLI_ARGS`); test/install passes the built image's command. */
export function startDaemon(
  t: Teardown,
  env: Record<string, string>,
  command: readonly string[] = nodeCommand([...CLI_ARGS, 'run']),
): RunningDaemon {
  const [bin, ...args] = command;
  const child = spawn(bin!, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  // Kept for the suite-wide secret check (scripts/check-no-secrets.ts).
  const record = outputRecorder('daemon');
  let text = '';
  let partial = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    record(d.toString());
    text += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      if (!l.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d: Buffer) => {
    record(d.toString());
    text += d.toString();
  });
  const exited = once(child, 'exit').then(([code, sig]) => (code ?? sig) as number | string);
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    logs,
    output: () => text,
    exited,
    signal: (sig) => child.kill(sig),
    async killAll() {
      const runs = await childPids(child.pid!);
      for (const pid of runs) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      child.kill('SIGKILL');
      await exited;
      for (const pid of runs)
        await until(`run process ${pid} to end`, async () => ((await isAlive(pid)) ? undefined : true), 30_000, 10);
    },
    waitForLog(pred, timeoutMs = 60_000, what = 'log line') {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = (): void => {
          for (; seen < logs.length; seen++) {
            if (pred(logs[seen]!)) {
              cleanup();
              resolve(logs[seen]!);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; output so far:\n${text.slice(-3000)}`));
        }, timeoutMs);
        const onExit = (): void => {
          check();
          cleanup();
          reject(new Error(`daemon exited while waiting for ${what}; output:\n${text.slice(-3000)}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}

/**
 * The agent's metrics once `ready` holds. A run logs 'run finished' a moment before its report
 * reaches the agent (over IPC), so a test that saw the line waits for the metrics to follow.
 */
export async function metricsWhen(
  url: string,
  ready: (m: Map<string, number>) => boolean,
  timeoutMs = 30_000,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = parseMetrics(await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text());
    if (ready(m)) return m;
    if (Date.now() > deadline) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Parses Prometheus text exposition into `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
