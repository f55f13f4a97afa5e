/**
 * The end state every shipping test must reach, judged with the AWS SDK (what is really in the
 * bucket) and promtool (what the data really is): each complete block has all its files at the
 * sizes its meta.json lists, no two blocks of the cluster overlap, every window with data has
 * exactly one block, and the promtool dump of all blocks equals the source dump.
 */
import { join } from 'node:path';
import type { Test } from 'tap';
import { firstDifference, type MetaJson } from './blocks.ts';
import { blockFileProblems, type BucketInspector, type BucketSnapshot } from './bucket-inspector.ts';
import { promtoolDump } from './prometheus.ts';
import type { Source } from './source.ts';

export interface ShippedCheckOptions {
  /** Block duration of the shipped windows, ms. */
  blockMs: number;
  /** Scratch dir for the download. */
  dir: string;
  /** Blocks not made by promship (e.g. adopted sidecar blocks): they need not be one aligned window. */
  foreign?: ReadonlySet<string>;
}

export async function checkShipped(
  t: Test,
  bucket: BucketInspector,
  source: Source,
  opts: ShippedCheckOptions,
): Promise<{ snap: BucketSnapshot; ours: MetaJson[] }> {
  const snap = await bucket.snapshot();
  t.same(
    snap.blocks.filter((b) => b.metaError !== undefined).map((b) => b.ulid),
    [],
    'every meta.json parses',
  );
  t.same(
    snap.complete.flatMap(blockFileProblems),
    [],
    'every block with meta.json has all its files at their listed sizes',
  );

  const ours = snap.complete
    .map((b) => b.meta!)
    .filter((m) => sameRecord(m.thanos.labels, source.external))
    .sort((a, b) => a.minTime - b.minTime);
  t.equal(ours.length, snap.complete.length, 'every block carries the cluster labels');
  const overlaps: string[] = [];
  for (let i = 1; i < ours.length; i++)
    if (ours[i]!.minTime < ours[i - 1]!.maxTime) overlaps.push(`${ours[i - 1]!.ulid} / ${ours[i]!.ulid}`);
  t.same(overlaps, [], 'no two blocks overlap');

  const foreign = opts.foreign ?? new Set<string>();
  const mine = ours.filter((m) => !foreign.has(m.ulid));
  t.ok(
    mine.every((m) => m.maxTime - m.minTime === opts.blockMs && m.minTime % opts.blockMs === 0),
    'every shipped block is one aligned window',
  );
  const expected = [...source.windowsWithData(opts.blockMs)]
    .filter((w) => !ours.some((m) => foreign.has(m.ulid) && m.minTime < w + opts.blockMs && w < m.maxTime))
    .sort((a, b) => a - b);
  t.same(
    mine.map((m) => m.minTime),
    expected,
    'exactly one block per window with data',
  );

  const copy = join(opts.dir, `copy-${Date.now()}`);
  await bucket.downloadComplete(copy);
  const dump = await promtoolDump(copy);
  t.equal(dump.length, source.dump.length, 'same number of samples');
  t.equal(firstDifference(source.dump, dump), undefined, 'promtool dump of the shipped blocks equals the source');
  return { snap, ours };
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
