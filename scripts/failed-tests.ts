/**
 * Repeats each failed test of a TAP log with what its diagnostics say (found, wanted, a diff, the
 * test's own `log`, an error's message and code, and where), for the end of the CI output, which
 * is all that CI keeps. Usage: node scripts/failed-tests.ts <tap log>
 */
import { readFileSync } from 'node:fs';

const MAX_DIAG_LINES = 16;
const MAX_LINES = 120;
/**
 * Long, and known from the test's file (`at` is kept as one `file:line`), or how tap started a
 * test file, the same for every file.
 */
const SKIPPED_KEYS = new Set(['at', 'stack', 'source', 'stdio', 'cwd', 'externalID', 'command', 'args', 'env']);

const indentOf = (line: string): number => line.length - line.trimStart().length;

interface Failure {
  line: string;
  diag: string[];
}

const lines = readFileSync(process.argv[2] ?? '/dev/stdin', 'utf8').split('\n');
const failures: Failure[] = [];
for (let i = 0; i < lines.length; i++) {
  const line = lines[i]!;
  if (!/^\s*not ok /.test(line)) continue;
  const failure: Failure = { line, diag: [] };
  failures.push(failure);
  if (lines[i + 1]?.trim() !== '---') continue;
  // The diagnostics: a YAML block from `---` to `...`, its keys indented like the `---`.
  const keyIndent = indentOf(lines[i + 1]!);
  let skipping = false;
  let j = i + 2;
  for (; j < lines.length && lines[j]!.trim() !== '...'; j++) {
    const l = lines[j]!;
    if (l.trim() !== '' && indentOf(l) === keyIndent) {
      const key = /^\s*([\w-]+):/.exec(l)?.[1] ?? '';
      skipping = SKIPPED_KEYS.has(key);
      if (key === 'at') {
        const file = /fileName: (.*)/.exec(lines[j + 1] ?? '')?.[1];
        const lineNo = /lineNumber: (\d+)/.exec(lines[j + 2] ?? '')?.[1];
        if (file !== undefined) failure.diag.push(`${' '.repeat(keyIndent)}at: ${file}:${lineNo ?? '?'}`);
      }
    }
    if (!skipping) failure.diag.push(l);
  }
  if (failure.diag.length > MAX_DIAG_LINES) {
    const more = failure.diag.length - MAX_DIAG_LINES;
    failure.diag = [...failure.diag.slice(0, MAX_DIAG_LINES), `${' '.repeat(keyIndent)}… ${more} more lines`];
  }
  i = j;
}

// CI keeps only the last lines: the failed files and tests first, then the failed assertions
// with what they found, so that those come last.
const saysWhy = (f: Failure): boolean => f.diag.some((l) => !/^\s*at: /.test(l));
const out = [
  ...failures.filter((f) => !saysWhy(f)).map((f) => f.line),
  ...failures.filter(saysWhy).flatMap((f) => [f.line, ...f.diag]),
];
const shown = out.slice(0, MAX_LINES);
if (out.length > shown.length) shown.push(`… ${out.length - shown.length} more lines in the full output`);
process.stdout.write(shown.length > 0 ? `${shown.join('\n')}\n` : '');
