/** Shared by the benchmarks: measuring a command as an operator would, with GNU time. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Wall time and peak RSS of a command, from GNU time. */
export async function timed(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ seconds: number; maxRssMiB: number; stdout: string }> {
  const child = spawn('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}\n${stdout.slice(-2000)}`);
  const last = stderr.trim().split('\n').at(-1)!.split(' ');
  return { seconds: Number(last[0]), maxRssMiB: Number(last[1]) / 1024, stdout };
}
