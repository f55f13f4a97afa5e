/**
 * The suite-wide leak check (scripts/check-no-secrets.ts, run after tap by `npm test`) can fail:
 * it finds a marked credential in recorded output, names the file and line without printing the
 * secret, and passes clean output. Also: the helpers really record every child's output.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runCli } from '../helpers/cli.ts';
import { OUTPUT_DIR, testSecret } from '../helpers/output-log.ts';
import { tempDir } from '../helpers/tmp.ts';
import { nodeCommand } from '../helpers/node-command.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/check-no-secrets.ts', import.meta.url));

function check(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [bin, ...args] = nodeCommand(['--import', 'tsx', SCRIPT, dir]);
    execFile(bin, args, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

t.test('the leak check finds a marked secret and passes clean output', async (t) => {
  const dir = await tempDir(t);
  const secret = testSecret('planted');
  await writeFile(join(dir, 'clean.log'), 'line one\nline two\n');
  const clean = await check(dir);
  t.equal(clean.code, 0, 'clean output passes');

  await writeFile(join(dir, 'leaky.log'), `first\nsecond ${secret} here\nthird\n`);
  const leaky = await check(dir);
  t.equal(leaky.code, 1, 'a leaked secret fails the check');
  t.match(leaky.stderr, /leaky\.log:2\n/, 'naming the file and line');
  t.notOk(leaky.stderr.includes(secret) || leaky.stdout.includes(secret), 'without printing the secret');
});

t.test("the CLI helper records every child's output for the check", async (t) => {
  const before = new Set(await readdir(OUTPUT_DIR).catch(() => [] as string[]));
  const r = await runCli(['version'], {});
  t.equal(r.code, 0);
  const added = (await readdir(OUTPUT_DIR)).filter((f) => !before.has(f));
  const texts = await Promise.all(added.map((f) => readFile(join(OUTPUT_DIR, f), 'utf8')));
  t.ok(
    texts.some((text) => text === r.stdout),
    'the output of `promship version` was recorded',
  );
});
