/**
 * The suite's leak check: every credential the tests hand to promship contains a marker
 * (test/helpers/output-log.ts), and this greps all output of the suite for it: what every child
 * process printed (.tap/cli-output/) and tap's saved results (.tap/test-results/). Run after tap
 * in `npm test`; `--clean` empties the output dir before a run so old output cannot mask or fake
 * a result. Usage: check-no-secrets.ts [--clean] [dir ...]
 *
 * On a hit it prints the file and line number only, never the line: that line holds a secret.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OUTPUT_DIR, SECRET_MARKER } from '../test/helpers/output-log.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = join(ROOT, '.tap', 'test-results');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

async function main(args: string[]): Promise<number> {
  if (args.includes('--clean')) {
    await rm(OUTPUT_DIR, { recursive: true, force: true });
    return 0;
  }
  const dirs = args.length > 0 ? args : [OUTPUT_DIR, RESULTS_DIR];
  let files = 0;
  let hits = 0;
  for (const dir of dirs) {
    for (const file of await filesUnder(dir)) {
      files++;
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (line.includes(SECRET_MARKER)) {
          hits++;
          process.stderr.write(`secret leaked: ${file}:${i + 1}\n`);
        }
      });
    }
  }
  if (hits > 0) {
    process.stderr.write(`check-no-secrets: ${hits} line(s) with a test credential in the suite's output\n`);
    return 1;
  }
  if (files === 0 && args.length === 0) {
    // Nothing recorded means the recording broke, not that nothing leaked.
    process.stderr.write(`check-no-secrets: no output files under ${dirs.join(', ')}; run the tests first\n`);
    return 1;
  }
  process.stdout.write(`check-no-secrets: no test credential in ${files} output file(s)\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
