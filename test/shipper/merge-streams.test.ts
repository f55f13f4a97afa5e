import t from 'tap';
import type { Labels } from '../../src/labels.ts';
import type { SeriesChunks } from '../../src/series.ts';
import { mergeSeriesStreams } from '../../src/shipper/merge-streams.ts';

const s = (name: string, job: string): SeriesChunks => ({
  labels: [
    ['__name__', name],
    ['job', job],
  ] as Labels,
  chunks: [],
});
async function* stream(items: SeriesChunks[]): AsyncGenerator<SeriesChunks> {
  for (const i of items) {
    await Promise.resolve();
    yield i;
  }
}

t.test('k-way merge: sorted, each series once (overlapping answers deduplicated)', async (t) => {
  const a = [s('a', 'x'), s('c', 'kubecost'), s('e', 'x')];
  const b = [s('b', 'kubecost'), s('c', 'kubecost'), s('d', 'kubecost')];
  const c = [s('c', 'kubecost'), s('f', 'y')];
  const out: string[] = [];
  for await (const x of mergeSeriesStreams([stream(a), stream(b), stream([]), stream(c)]))
    out.push(x.labels.map((l) => l[1]).join('/'));
  t.same(out, ['a/x', 'b/kubecost', 'c/kubecost', 'd/kubecost', 'e/x', 'f/y']);
});
