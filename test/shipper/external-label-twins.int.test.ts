/**
 * A series may store a label equal to one of Prometheus' external labels (honor_labels, a
 * relabel rule added mid-window), beside a twin without it. Remote read merges the external
 * labels into both, so after stripping they would be one series and the block would be refused.
 * promship must ship them as distinct series, each with its own samples, as Thanos reads the
 * source: the same label sets and samples, nothing lost or merged.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import { shipWindow } from '../../src/shipper/ship-window.ts';
import { logLines, runCli } from '../helpers/cli.ts';
import { createBlocksFromOpenMetrics, promtoolDump, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

const H = 3_600_000;
const external = { cluster_id: 'cluster-two', env: 'test' };
const start = Math.floor(Date.now() / (2 * H)) * (2 * H) - 4 * H;

// Each series: its labels and a value that tells it apart in every sample.
const twins: [labels: string, base: number][] = [
  ['job="a"', 1],
  ['cluster_id="cluster-two",job="a"', 1000],
  // All four combinations of two external labels merge into one label set.
  ['job="b"', 2],
  ['env="test",job="b"', 2000],
  ['cluster_id="cluster-two",job="b"', 20_000],
  ['cluster_id="cluster-two",env="test",job="b"', 200_000],
  // Its own value for an external label name: never stripped, never a twin.
  ['cluster_id="elsewhere",job="c"', 3],
];
// Twins with no other series sorting between them arrive in consecutive frames with equal labels,
// as one series split over two frames would; their chunks start over in time.
const pair: [labels: string, base: number][] = [
  ['job="a"', 4],
  ['cluster_id="cluster-two",job="a"', 4000],
];

function openMetrics(): string {
  const lines = ['# TYPE twin gauge'];
  for (const [labels, base] of twins) {
    for (let i = 0; i < 60; i++) lines.push(`twin{${labels}} ${base + i} ${(start + 30 * 60_000 + i * 60_000) / 1000}`);
  }
  lines.push('# TYPE pair gauge');
  for (const [labels, base] of pair) {
    for (let i = 0; i < 60; i++) lines.push(`pair{${labels}} ${base + i} ${(start + 30 * 60_000 + i * 60_000) / 1000}`);
  }
  lines.push('# TYPE plain gauge');
  for (let i = 0; i < 60; i++) lines.push(`plain{job="a"} ${i / 7} ${(start + 30 * 60_000 + i * 60_000) / 1000}`);
  lines.push('# EOF', '');
  return lines.join('\n');
}

/** promtool dump lines grouped by series: label set → its samples, in order. */
function bySeries(dump: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of dump) {
    const end = line.lastIndexOf('} ') + 1;
    const key = line.slice(0, end);
    out.set(key, [...(out.get(key) ?? []), line.slice(end + 1)]);
  }
  return out;
}

t.test('series that differ only by a stored external label are shipped apart, none lost', async (t) => {
  const dir = await tempDir(t);
  const sourceDir = join(dir, 'source');
  await createBlocksFromOpenMetrics(openMetrics(), sourceDir);
  const source = bySeries(await promtoolDump(sourceDir));
  t.equal(source.size, twins.length + pair.length + 1, 'the source holds every twin as its own series');
  const prometheus = await startPrometheus({ dataDir: sourceDir, externalLabels: external });
  t.teardown(() => prometheus.stop());

  const bucket = join(dir, 'bucket');
  const run = await runCli(['once'], {
    PROMSHIP_PROMETHEUS_URL: prometheus.url,
    PROMSHIP_BUCKET: `file://${bucket}`,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
  });
  t.equal(run.code, 0, `exit 0 (stderr: ${run.stderr.slice(0, 500)})`);
  const logs = logLines(run.stdout);
  t.equal(logs.filter((l) => l.msg === 'shipped block').length, 1, 'the window is shipped');
  const warning = logs.find((l) => l.level === 40 && l.msg === 'twin series kept apart by an external label');
  t.equal(
    warning?.series,
    5,
    'a warning counts the series that kept an external label (1 of job a, 3 of job b, 1 of the pair)',
  );

  const shipped = bySeries(await promtoolDump(bucket));
  t.same([...shipped.keys()].sort(), [...source.keys()].sort(), 'the shipped label sets are the source label sets');
  t.same(
    shipped.get('{__name__="plain", job="a"}'),
    source.get('{__name__="plain", job="a"}'),
    'an ordinary series is shipped as is',
  );
  t.same(
    shipped.get('{__name__="twin", cluster_id="elsewhere", job="c"}'),
    source.get('{__name__="twin", cluster_id="elsewhere", job="c"}'),
    'a series with its own value for an external label name keeps it',
  );
  // Which twin carries the label explicitly may differ from the source; through Thanos, which
  // adds the external labels back, they are one series either way. Every twin's samples arrive
  // whole and apart from the others'.
  for (const job of ['a', 'b'])
    t.same(
      samplesOf(shipped, 'twin', job),
      samplesOf(source, 'twin', job),
      `twins of job ${job}: each one's samples, none merged or lost`,
    );
  t.same(
    samplesOf(shipped, 'pair', 'a'),
    samplesOf(source, 'pair', 'a'),
    "twins in consecutive frames: each one's samples, not joined into one series",
  );

  /** Ships the window again under `rules`: the bucket's series (label set → samples), none merged. */
  const shipUnder = async (name: string, rules: string): Promise<Map<string, string[]>> => {
    await writeFile(join(dir, `${name}.yaml`), rules);
    const res = await runCli(['once'], {
      PROMSHIP_PROMETHEUS_URL: prometheus.url,
      PROMSHIP_BUCKET: `file://${join(dir, `bucket-${name}`)}`,
      PROMSHIP_DATA_DIR: join(dir, `data-${name}`),
      PROMSHIP_MAX_BACKFILL: '1d',
      PROMSHIP_RELABEL_CONFIG_FILE: join(dir, `${name}.yaml`),
    });
    t.equal(res.code, 0, `${name}: exit 0 (stderr: ${res.stderr.slice(0, 500)})`);
    const line = logLines(res.stdout).find((l) => l.msg === 'shipped block');
    t.equal(line?.mergedSeries, 0, `${name}: nothing merged`);
    return bySeries(await promtoolDump(join(dir, `bucket-${name}`)));
  };
  // Rules that could change labels (so promship looks for series they made equal) but change
  // none: the twins are still kept apart, not merged as if a rule had made them one.
  t.same(
    [...(await shipUnder('noop-rules', '- action: labeldrop\n  regex: no_such_label\n'))].sort(),
    [...shipped].sort(),
    'rules that change nothing: the same series and samples as without rules',
  );
  // A rule that changes every series changes both twins alike: still kept apart, not merged.
  const teamed = await shipUnder('team-rule', '- target_label: team\n  replacement: platform\n');
  t.same(
    [...teamed].map(([k, v]) => [k.replace(', team="platform"}', '}'), v]).sort(),
    [...shipped].sort(),
    'a rule on every series: the same series, each with the label, and samples as without rules',
  );
});

t.test('twins in a SAMPLES response are shipped apart too', async (t) => {
  const dir = await tempDir(t);
  const sourceDir = join(dir, 'source');
  await createBlocksFromOpenMetrics(openMetrics(), sourceDir);
  const source = bySeries(await promtoolDump(sourceDir));
  const prometheus = await startPrometheus({ dataDir: sourceDir, externalLabels: external });
  t.teardown(() => prometheus.stop());
  const client = new RemoteReadClient({ url: prometheus.url, timeoutMs: 30_000, acceptedResponseTypes: ['SAMPLES'] });
  t.teardown(() => client.close());
  const bucketDir = join(dir, 'bucket');
  const block = await shipWindow(
    {
      source: client,
      bucket: new FileBucket(bucketDir),
      blocksDir: join(dir, 'blocks'),
      thanosLabels: external,
      stripLabels: [
        ['cluster_id', 'cluster-two'],
        ['env', 'test'],
      ],
      ulid: '01JD0000000000000000000000',
    },
    { start, end: start + 2 * H },
  );
  t.equal(block?.seriesKeepingExternalLabels, 5, 'the same five series kept an external label');
  const shipped = bySeries(await promtoolDump(bucketDir));
  t.same([...shipped.keys()].sort(), [...source.keys()].sort(), 'the shipped label sets are the source label sets');
  for (const [name, job] of [
    ['twin', 'a'],
    ['twin', 'b'],
    ['pair', 'a'],
  ] as const) {
    t.same(
      samplesOf(shipped, name, job),
      samplesOf(source, name, job),
      `${name} of job ${job}: each one's samples, none merged or lost`,
    );
  }
});

/** The samples of each series named `name` with `job`, one string per series, sorted. */
function samplesOf(m: Map<string, string[]>, name: string, job: string): string[] {
  return [...m.entries()]
    .filter(([k]) => k.includes(`job="${job}"`) && k.startsWith(`{__name__="${name}"`))
    .map(([, v]) => v.join('|'))
    .sort();
}
