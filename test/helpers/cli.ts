import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { outputRecorder } from './output-log.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  startedAt: number;
  endedAt: number;
  pid: number | undefined;
}

/** Runs `promship <args>` from source in a child process, as a user would, with only `env` set. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 300_000): Promise<CliResult> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
        timeout: timeoutMs,
        maxBuffer: 256 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        // Kept for the suite-wide secret check (scripts/check-no-secrets.ts).
        const record = outputRecorder(`cli-${args[0] ?? 'none'}`);
        record(stdout);
        record(stderr);
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr, startedAt, endedAt: Date.now(), pid: child.pid });
      },
    );
  });
}

/** pino JSON lines from a CLI's stdout. */
export function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
