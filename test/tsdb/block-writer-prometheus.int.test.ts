/**
 * A block built from our own XOR chunks is read by real Prometheus 2.42: promtool dumps the
 * same lines as for a block promtool made from the same samples, and PromQL returns the exact
 * samples and labels (unicode and escaped values, 60 labels, a 1-sample series, several
 * segments).
 */
import { join } from 'node:path';
import t from 'tap';
import { openBlock } from '../../src/tsdb/block-reader.ts';
import { BlockWriter } from '../../src/tsdb/block-writer.ts';
import { promtoolAnalyze, promtoolDump, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';
import {
  BLOCK_START,
  TWO_HOURS,
  promtoolBlocks,
  sortedLabels,
  xorChunks,
  type KnownSeries,
} from '../helpers/tsdb-fixtures.ts';

const weirdValue = 'tab\there "quoted" back\\slash ünï 日本 🚀 end';
const special: KnownSeries[] = [
  {
    labels: sortedLabels({ __name__: 'weird', v: weirdValue, z_label: 'ok' }),
    samples: Array.from({ length: 300 }, (_, i) => ({ t: BLOCK_START + 1000 + i * 20_000, v: i * 0.25 - 10 })),
  },
  {
    labels: sortedLabels({ __name__: 'single', only: 'one' }),
    samples: [{ t: BLOCK_START + TWO_HOURS - 1, v: 42.5 }],
  },
  {
    labels: sortedLabels(
      Object.fromEntries([
        ['__name__', 'wide'],
        ...Array.from({ length: 59 }, (_, i): [string, string] => [`l${String(i).padStart(2, '0')}`, `value-${i}`]),
      ]),
    ),
    samples: Array.from({ length: 50 }, (_, i) => ({ t: BLOCK_START + i * 60_000, v: 1e300 / (i + 1) })),
  },
];

function ordinary(): KnownSeries[] {
  return Array.from({ length: 150 }, (_, s) => ({
    labels: sortedLabels({ __name__: 'm', series: String(s), job: 'j' }),
    samples: Array.from({ length: 240 }, (_, i) => ({ t: BLOCK_START + i * 30_000, v: (s * 7 + i) % 97 })),
  }));
}

t.test('Prometheus reads a block written from our XOR chunks', async (t) => {
  const root = await tempDir(t);
  const series = [...special, ...ordinary()];
  const ref = join(root, 'ref');
  await promtoolBlocks(series, ref);

  const data = join(root, 'data');
  const w = await BlockWriter.open({
    parentDir: data,
    minTime: BLOCK_START,
    maxTime: BLOCK_START + TWO_HOURS,
    thanosLabels: { cluster_id: 'two' },
    segmentMaxBytes: 16 * 1024,
  });
  for (const s of series) await w.addSeries(s.labels, xorChunks(s.samples));
  const block = await w.finish();
  t.ok(block);
  const segments = block!.files.filter((f) => f.relPath.startsWith('chunks/'));
  t.ok(segments.length >= 3, `several segments (${segments.length})`);
  t.ok(
    segments.every((f) => f.sizeBytes <= 16 * 1024),
    'no segment exceeds segmentMaxBytes',
  );

  const reader = await openBlock(block!.dir);
  t.teardown(() => reader.close());
  await reader.verify();

  t.same(await promtoolDump(data), await promtoolDump(ref), 'promtool dump equals that of the promtool-made block');
  t.match(await promtoolAnalyze(data, block!.ulid), /Series: 153/);

  const prom = await startPrometheus({ dataDir: data });
  t.teardown(() => prom.stop());
  const at = (BLOCK_START + TWO_HOURS) / 1000;
  const query = async (
    q: string,
  ): Promise<{ metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[]> => {
    const res = await fetch(
      `${prom.url}/api/v1/query?${new URLSearchParams({ query: q, time: String(at) }).toString()}`,
    );
    const body = (await res.json()) as { status: string; data: { result: never[] } };
    t.equal(body.status, 'success', q);
    return body.data.result;
  };

  const count = await query('count(count_over_time({__name__=~".+"}[3h]))');
  t.equal(count[0]?.value?.[1], '153', 'all series visible');

  for (const s of special) {
    const name = s.labels.find(([n]) => n === '__name__')![1];
    const result = await query(`${name}[3h]`);
    t.equal(result.length, 1, `${name}: one series`);
    t.same(result[0]!.metric, Object.fromEntries(s.labels), `${name}: labels round-trip`);
    const got = result[0]!.values!.map(([ts, v]) => ({ t: Math.round(ts * 1000), v: Number(v) }));
    t.same(got, s.samples, `${name}: every sample exact`);
  }
  const oneSeries = await query('m{series="77"}[3h]');
  t.same(
    oneSeries[0]!.values!.map(([ts, v]) => ({ t: Math.round(ts * 1000), v: Number(v) })),
    ordinary()[77]!.samples,
  );
});
