import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { outputRecorder } from './output-log.ts';
import { nodeCommand } from './node-command.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The CLI's source; run it with `CLI_ARGS`, which pick the build when it is current. */
export const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const BUILT_CLI = join(ROOT, 'dist', 'cli.js');

/** The newest mtime (ms) of the files under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * Node's arguments that start `promship`: the build (`npm run build`, which `npm run test:all`
 * runs first) when it is newer than every source file, the build script and the lockfile (the
 * bundle holds the dependencies), else the source through tsx. Starting the
 * build takes a fraction of tsx's time, which the suite pays at every one of its hundreds of
 * starts; falling back to the source means a test run by hand never runs stale code.
 */
export const CLI_ARGS: readonly string[] = (() => {
  try {
    const inputs = Math.max(
      newestMtime(join(ROOT, 'src')),
      statSync(join(ROOT, 'scripts', 'build.ts')).mtimeMs,
      statSync(join(ROOT, 'package-lock.json')).mtimeMs,
    );
    if (statSync(BUILT_CLI).mtimeMs >= inputs) return [BUILT_CLI];
  } catch {
    // No build: the source it is.
  }
  return ['--import', 'tsx', CLI];
})();

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  startedAt: number;
  endedAt: number;
  pid: number | undefined;
}

/** Runs `promship <args>` (see `CLI_ARGS`) in a child process, as a user would, with only `env` set. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 300_000): Promise<CliResult> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const [bin, ...nodeArgs] = nodeCommand([...CLI_ARGS, ...args]);
    const child = execFile(
      bin,
      nodeArgs,
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
