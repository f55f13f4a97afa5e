/**
 * What a well-formed result of the remote-read decoders looks like, checked without trusting the
 * code under test: labels sorted by name in Go's byte order with unique names, consecutive series
 * with equal labels only where the second does not go on in time from the first (the frame
 * merger joined split series; what is left are twins), chunk fields of the right types, raw
 * samples sorted with safe-integer times.
 */
import { compareStrings } from '../../src/labels.ts';
import type { SeriesChunks } from '../../src/series.ts';

export function checkSeriesList(series: readonly SeriesChunks[], where: string): void {
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    const what = `${where}: series #${i}`;
    if (!Array.isArray(s.labels)) throw new Error(`${what}: labels are not an array`);
    for (let k = 0; k < s.labels.length; k++) {
      const l: unknown = s.labels[k];
      if (!Array.isArray(l) || l.length !== 2 || typeof l[0] !== 'string' || typeof l[1] !== 'string') {
        throw new Error(`${what}: label #${k} is not a [name, value] pair of strings`);
      }
      if (k > 0 && compareStrings((s.labels[k - 1] as [string, string])[0], l[0]) >= 0)
        throw new Error(`${what}: label names are not sorted and unique`);
    }
    if (i > 0 && sameLabelSet(series[i - 1]!.labels, s.labels) && s.samples === undefined) {
      const last = series[i - 1]!.chunks.at(-1);
      const next = s.chunks[0];
      if (last === undefined || next === undefined || next.minTime > last.maxTime) {
        throw new Error(`${what}: same labels as the series before it, going on in time; the frames were not merged`);
      }
    }
    if (!Array.isArray(s.chunks)) throw new Error(`${what}: chunks are not an array`);
    for (const [k, c] of s.chunks.entries()) {
      if (
        typeof c.minTime !== 'number' ||
        Number.isNaN(c.minTime) ||
        typeof c.maxTime !== 'number' ||
        Number.isNaN(c.maxTime)
      ) {
        throw new Error(`${what}: chunk #${k} times are not numbers`);
      }
      if (!Number.isInteger(c.encoding) || c.encoding < 0)
        throw new Error(`${what}: chunk #${k} encoding ${c.encoding} is not a non-negative integer`);
      if (!(c.data instanceof Uint8Array)) throw new Error(`${what}: chunk #${k} data is not bytes`);
    }
    if (s.samples !== undefined) {
      for (let k = 0; k < s.samples.length; k++) {
        const p = s.samples[k]!;
        if (!Number.isSafeInteger(p.t) || typeof p.v !== 'number')
          throw new Error(`${what}: sample #${k} is not {safe-integer t, number v}`);
        if (k > 0 && s.samples[k - 1]!.t > p.t) throw new Error(`${what}: samples are not sorted by time`);
      }
    }
  }
}

function sameLabelSet(a: SeriesChunks['labels'], b: SeriesChunks['labels']): boolean {
  return a.length === b.length && a.every((l, i) => l[0] === b[i]![0] && l[1] === b[i]![1]);
}
