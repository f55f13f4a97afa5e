/**
 * Changing the rules never re-ships a window already shipped: the ledger keeps the hash of the
 * rules each shipped range was shipped under, `promship status` shows it, and a run under other
 * rules ships nothing new. Also: an invalid rules file stops `once` at start, exit 2, one line
 * naming the setting, the rule's index and field, with Prometheus' message.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { logLines, runCli } from '../helpers/cli.ts';
import { startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

t.test('a rules change ships nothing again; status shows the hash per shipped range', async (t) => {
  const dir = await tempDir(t, 'promship-rules-change-');
  const source = await startSource(t, dir, { windows: 2 });
  const rules = join(dir, 'rules.yaml');
  const env = {
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
    PROMSHIP_CLUSTER_ID: source.external.cluster_id!,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '2d',
    PROMSHIP_RELABEL_CONFIG_FILE: rules,
  };
  await writeFile(rules, '- source_labels: [__name__]\n  regex: nothing_has_this_name\n  action: drop\n');
  const first = await runCli(['once'], env);
  t.equal(first.code, 0, first.stderr);
  const shipped = logLines(first.stdout).filter((l) => l.msg === 'shipped block');
  t.ok(shipped.length >= 2, `${shipped.length} windows shipped`);
  const hashA = shipped[0]?.rulesHash;
  t.match(hashA, /^[0-9a-f]{16}$/);
  const blocksBefore = (await readdir(join(dir, 'bucket'))).filter((n) => ULID.test(n)).sort();

  await writeFile(rules, '- sourceLabels: [__name__]\n  regex: "up|.*_total"\n  action: keep\n');
  const second = await runCli(['once'], env);
  t.equal(second.code, 0, second.stderr);
  t.same(
    logLines(second.stdout).filter((l) => l.msg === 'shipped block'),
    [],
    'nothing shipped again under the new rules',
  );
  t.same((await readdir(join(dir, 'bucket'))).filter((n) => ULID.test(n)).sort(), blocksBefore, 'the same blocks');

  const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as {
    rules: { start: number; end: number; hash: string }[];
  };
  t.ok(status.rules.length >= 1);
  t.ok(
    status.rules.every((r) => r.hash === hashA),
    'every shipped range under the first rules',
  );
  const human = await runCli(['status'], env);
  t.match(human.stdout, new RegExp(`rules +${String(hashA)}`));
});

t.test('an invalid rules file stops at start with exit 2 and one line', async (t) => {
  const dir = await tempDir(t, 'promship-rules-bad-');
  const rules = join(dir, 'rules.yaml');
  await writeFile(
    rules,
    '- source_labels: [a]\n  action: keep\n- action: hashmod\n  source_labels: [a]\n  target_label: s\n',
  );
  const res = await runCli(['once'], {
    PROMSHIP_PROMETHEUS_URL: 'http://127.0.0.1:9',
    PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
    PROMSHIP_CLUSTER_ID: 'c1',
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_RELABEL_CONFIG_FILE: rules,
  });
  t.equal(res.code, 2);
  t.equal(
    res.stderr,
    'promship: invalid PROMSHIP_RELABEL_CONFIG_FILE: rule 1 (modulus): relabel configuration for hashmod requires non-zero modulus\n',
  );
});
