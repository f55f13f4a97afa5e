/**
 * Every child process a test starts (the CLI, the daemon) has its stdout and stderr copied here,
 * so `scripts/check-no-secrets.ts` can grep all output of the suite for the credentials the tests
 * used. Credentials in tests carry SECRET_MARKER, so one grep finds any of them.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Part of every credential a test hands to promship; must never appear in any output. */
export const SECRET_MARKER = 'promship-test-secret';

export const OUTPUT_DIR = fileURLToPath(new URL('../../.tap/cli-output/', import.meta.url));

let counter = 0;

/** A credential for a test: unique, and findable by the marker. */
export function testSecret(what: string): string {
  return `${what}-${SECRET_MARKER}-${Math.random().toString(36).slice(2, 10)}`;
}

/** A fresh file for one child's output; returns an appender. */
export function outputRecorder(label: string): (text: string) => void {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const file = join(
    OUTPUT_DIR,
    `${process.pid}-${Date.now()}-${++counter}-${label.replace(/[^a-z0-9-]+/gi, '_').slice(0, 40)}.log`,
  );
  return (text: string) => {
    if (text.length > 0) appendFileSync(file, text);
  };
}
