/** Debian's promtool, for checking and unit-testing rules the chart renders. */
import { execFile } from 'node:child_process';

export function promtool(args: string[], cwd?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'promtool',
      args,
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024, ...(cwd ? { cwd } : {}) },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr });
      },
    );
  });
}
