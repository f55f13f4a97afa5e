/**
 * Several remote-read answers for one window (push-down queries) as one stream: a k-way merge by
 * label order, each series once. Prometheus answers every query in the same (label) order, so
 * the merge keeps the writer's fast sorted path; a series that two queries both return (equal
 * labels at the heads) comes out once, from the first query.
 */
import { compareLabels } from '../labels.ts';
import type { SeriesChunks } from '../series.ts';

async function nextOf(it: AsyncIterator<SeriesChunks>): Promise<SeriesChunks | undefined> {
  const r = await it.next();
  return r.done === true ? undefined : r.value;
}

export async function* mergeSeriesStreams(
  streams: AsyncIterable<SeriesChunks>[],
): AsyncGenerator<SeriesChunks, void, undefined> {
  if (streams.length === 1) {
    yield* streams[0]!;
    return;
  }
  const its: AsyncIterator<SeriesChunks>[] = streams.map((s) => s[Symbol.asyncIterator]());
  const heads: (SeriesChunks | undefined)[] = await Promise.all(its.map(nextOf));
  try {
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h === undefined) continue;
        if (best < 0 || compareLabels(h.labels, heads[best]!.labels) < 0) best = i;
      }
      if (best < 0) return;
      const out = heads[best]!;
      // Advance every stream whose head is this very series (dedupe), then the chosen one.
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== undefined && (i === best || compareLabels(h.labels, out.labels) === 0))
          heads[i] = await nextOf(its[i]!);
      }
      yield out;
    }
  } finally {
    await Promise.all(its.map(async (it) => (it.return ? it.return() : undefined)));
  }
}
