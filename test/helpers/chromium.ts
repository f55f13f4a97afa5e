/**
 * Debian's chromium, headless, for what a person would see of a page: the DOM after rendering
 * (`--dump-dom`) and a screenshot. Each call gets its own profile dir; nothing leaves loopback
 * (background networking, component updates and sync are off).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
];

function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    void mkdtemp(join(tmpdir(), 'promship-chromium-')).then((profile) => {
      execFile(
        'chromium',
        [...FLAGS, `--user-data-dir=${profile}`, ...args],
        { timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          void rm(profile, { recursive: true, force: true }).finally(() => {
            if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr.slice(-2000)}`));
            else resolve({ stdout, stderr });
          });
        },
      );
    }, reject);
  });
}

export async function dumpDom(url: string): Promise<string> {
  return (await chromium(['--dump-dom', url])).stdout;
}

export async function screenshot(url: string, file: string, size = '1600,700'): Promise<void> {
  await chromium([`--screenshot=${file}`, `--window-size=${size}`, '--hide-scrollbars', url]);
}
