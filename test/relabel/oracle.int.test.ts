/**
 * The key acceptance: Prometheus' own relabelling is the truth. A live Prometheus scrapes Debian's
 * node exporter and itself every second and remote-writes, under each rule set's
 * `write_relabel_configs`, to a second Prometheus (a remote-write receiver); promship ships from
 * the first Prometheus under the same rules. For every complete window, `promtool tsdb dump` of
 * the shipped blocks equals the receiver's dump over that window.
 *
 * One receiver serves every rule set: each remote_write queue ends with one more rule that tags
 * its series with the set's number (`promship_oracle_set`), and the receiver's dump is filtered
 * by that tag and the tag removed. Rule sets are collision-free (a receiver refuses duplicate
 * samples); merging is tested in collisions.test.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { runCli, logLines } from '../helpers/cli.ts';
import { startNodeExporter } from '../helpers/node-exporter.ts';
import { promtoolDump, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';

type Rule = Record<string, unknown>;
const M = 60_000;
const TAG = 'promship_oracle_set';

/** Eight collision-free rule sets; together they use all 11 actions. */
const RULE_SETS: Rule[][] = [
  // keep on __name__ alone (also pushed down to remote read), then a replace with named groups.
  [
    { source_labels: ['__name__'], regex: 'node_cpu_.*|node_memory_Mem.*|up|scrape_.*', action: 'keep' },
    { source_labels: ['instance'], regex: '(?P<host>[^:]+):(?P<port>.*)', target_label: 'port', replacement: 'p$port' },
  ],
  // drop with an RE2 flag, labeldrop of a label that is unique per job.
  [
    { source_labels: ['__name__'], regex: '(?i)GO_.*|prometheus_tsdb_.*', action: 'drop' },
    { regex: 'instance', action: 'labeldrop' },
  ],
  // replace: a target name from a group, a blank replacement deleting a label, a custom separator.
  [
    {
      source_labels: ['job', 'instance'],
      separator: '@',
      regex: '([a-zA-Z]+)@127\\.0\\.0\\.1:(.*)',
      target_label: 'port_${1}',
      replacement: '$2',
    },
    { source_labels: ['job'], regex: 'Node', target_label: 'instance', replacement: '' },
    { source_labels: ['__name__'], regex: 'node_(.*)_bytes', target_label: 'unit', replacement: '${1}x' },
  ],
  // hashmod sharding: keep two of four shards, then drop the temporary label.
  [
    { source_labels: ['__name__', 'instance'], modulus: 4, target_label: '__tmp_shard', action: 'hashmod' },
    { source_labels: ['__tmp_shard'], regex: '1|3', action: 'keep' },
    { source_labels: ['__name__'], modulus: 1000, target_label: 'bucket', action: 'hashmod' },
    { regex: '__tmp_shard', action: 'labeldrop' },
  ],
  // labelmap and keepequal.
  [
    { source_labels: ['__name__'], regex: 'up|scrape_.*|node_load.*|node_network_.*', action: 'keep' },
    { regex: '(job|instance)', replacement: 'orig_${1}', action: 'labelmap' },
    { source_labels: ['orig_job'], target_label: 'job', action: 'keepequal' },
    { source_labels: ['device'], regex: 'lo', target_label: 'loopback', replacement: 'yes' },
  ],
  // dropequal: drop the node job by comparing with a label set by replace.
  [
    { target_label: '__tmp_x', replacement: 'Node' },
    { source_labels: ['job'], target_label: '__tmp_x', action: 'dropequal' },
    { regex: '__tmp_x', action: 'labeldrop' },
  ],
  // lowercase / uppercase into new labels.
  [
    { source_labels: ['__name__'], regex: 'node_memory_.*|up', action: 'keep' },
    { source_labels: ['job'], target_label: 'job_lower', action: 'lowercase' },
    { source_labels: ['job', '__name__'], target_label: 'JOB_UP', action: 'uppercase' },
  ],
  // labelkeep after narrowing to series that stay distinct with fewer labels.
  [
    { source_labels: ['__name__'], regex: 'node_cpu_seconds_total|node_load1|up', action: 'keep' },
    { regex: '__name__|job|mode|cpu', action: 'labelkeep' },
  ],
];

t.test('promship ships what Prometheus remote-writes under the same rules', async (t) => {
  const dir = await tempDir(t, 'promship-oracle-');
  const exporter = await startNodeExporter();
  t.teardown(() => exporter.stop());
  const receiver = await startPrometheus({
    dataDir: join(dir, 'receiver'),
    extraArgs: ['--web.enable-remote-write-receiver'],
  });
  t.teardown(async () => {
    await receiver.stop();
  });
  const remoteWrite = RULE_SETS.map((rules, i) => ({
    url: `${receiver.url}/api/v1/write`,
    name: `set${i}`,
    queue_config: { batch_send_deadline: '1s' },
    write_relabel_configs: [...rules, { target_label: TAG, replacement: String(i) }],
  }));
  const source = await startPrometheus({
    dataDir: join(dir, 'source'),
    extraConfig: stringify({
      scrape_configs: [
        { job_name: 'Node', scrape_interval: '1s', static_configs: [{ targets: [exporter.address] }] },
        { job_name: 'prom', scrape_interval: '1s', static_configs: [{ targets: ['PLACEHOLDER'] }] },
      ],
      remote_write: remoteWrite,
    }),
    // Scrapes itself: the address is known only once started, so it is patched in by reload below.
  });
  t.teardown(async () => {
    await source.stop();
  });
  // Point the self-scrape at the source's own port and reload.
  const { readFile } = await import('node:fs/promises');
  const configFile = join(dir, `prometheus-${source.port}.yml`);
  await writeFile(configFile, (await readFile(configFile, 'utf8')).replace('PLACEHOLDER', `127.0.0.1:${source.port}`));
  source.process.kill('SIGHUP');
  const startedAt = Date.now();
  const firstWindow = Math.ceil((startedAt + 5_000) / M) * M;
  const windows = [
    { start: firstWindow, end: firstWindow + M },
    { start: firstWindow + M, end: firstWindow + 2 * M },
  ];
  const shipDelayMs = 20_000;
  // Wait (no timing assertion) until both windows are complete and past the ship delay.
  await until(
    'two complete windows',
    async () => (Date.now() > windows[1]!.end + shipDelayMs + 5_000 ? true : undefined),
    10 * M,
    1_000,
  );

  const results = await Promise.all(
    RULE_SETS.map(async (rules, i) => {
      const setDir = join(dir, `set${i}`);
      await mkdir(setDir, { recursive: true });
      await writeFile(join(setDir, 'rules.yaml'), stringify(rules));
      const res = await runCli(['once'], {
        PROMSHIP_PROMETHEUS_URL: source.url,
        PROMSHIP_BUCKET: `file://${join(setDir, 'bucket')}`,
        PROMSHIP_CLUSTER_ID: 'oracle',
        PROMSHIP_DATA_DIR: join(setDir, 'data'),
        PROMSHIP_BLOCK_DURATION: '1m',
        PROMSHIP_SHIP_DELAY: '20s',
        PROMSHIP_MAX_BACKFILL: '10m',
        PROMSHIP_RELABEL_CONFIG_FILE: join(setDir, 'rules.yaml'),
      });
      return { i, setDir, res };
    }),
  );

  for (const { i, setDir, res } of results) {
    t.equal(res.code, 0, `set ${i}: promship once succeeded\n${res.stderr}`);
    const shipped = logLines(res.stdout).filter((l) => l.msg === 'shipped block');
    t.ok(shipped.length >= 2, `set ${i}: shipped ${shipped.length} windows`);
    for (const w of windows) {
      const ours = await promtoolDump(join(setDir, 'bucket'), { minTime: w.start, maxTime: w.end - 1 });
      const theirs = (
        await promtoolDump(receiver.dataDir, { minTime: w.start, maxTime: w.end - 1, match: `{${TAG}="${i}"}` })
      ).map((l) => l.replace(`, ${TAG}="${i}"`, '').replace(`{${TAG}="${i}", `, '{'));
      t.ok(
        theirs.length > 100,
        `set ${i}: the receiver holds ${theirs.length} samples in ${new Date(w.start).toISOString()}`,
      );
      const a = [...ours].sort();
      const b = [...theirs].sort();
      const firstDiff = a.findIndex((l, k) => l !== b[k]);
      t.equal(
        a.length,
        b.length,
        `set ${i}: as many samples as the receiver (first difference: ${firstDiff >= 0 ? `${a[firstDiff]} vs ${b[firstDiff]}` : 'none'})`,
      );
      t.ok(firstDiff < 0 && a.length === b.length, `set ${i}, window ${new Date(w.start).toISOString()}: dumps equal`);
    }
  }
});
