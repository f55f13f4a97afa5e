/** Shared by the benchmarks: measuring a command as an operator would, with GNU time. */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';

/** Wall time, CPU time (user + system) and peak RSS of a command, from GNU time. */
export async function timed(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ seconds: number; cpuSeconds: number; maxRssMiB: number; stdout: string }> {
  const child = spawn('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}\n${stdout.slice(-2000)}`);
  const last = stderr.trim().split('\n').at(-1)!.split(' ');
  return {
    seconds: Number(last[0]),
    cpuSeconds: Number(last[2]) + Number(last[3]),
    maxRssMiB: Number(last[1]) / 1024,
    stdout,
  };
}

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * CPU time (user + system, ms) that process `pid` has used so far, from /proc; in clock ticks,
 * so 10 ms steps: sum it over several runs before reading much into one.
 */
export function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based, proc(5)).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** RssAnon of process `pid` in MiB (its own heap, not the page cache it maps), from /proc. */
function processRssAnonMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^RssAnon:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}

/**
 * Watches `pid` while `fn` runs: its CPU time (ms, /proc ticks) and its RssAnon before and at
 * the highest point seen, sampled every 10 ms (the callback runs between the pieces of whatever
 * `fn` awaits, so the samples keep coming while it drains a stream).
 */
export async function watchProcess<T>(
  pid: number,
  fn: () => Promise<T>,
): Promise<{ result: T; cpuMs: number; rssAnonBeforeMiB: number; rssAnonPeakMiB: number }> {
  const cpu0 = processCpuMs(pid);
  const before = processRssAnonMiB(pid);
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, processRssAnonMiB(pid));
  }, 10);
  try {
    const result = await fn();
    peak = Math.max(peak, processRssAnonMiB(pid));
    return { result, cpuMs: processCpuMs(pid) - cpu0, rssAnonBeforeMiB: before, rssAnonPeakMiB: peak };
  } finally {
    clearInterval(timer);
  }
}
