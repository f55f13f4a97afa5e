/**
 * Comparing what the remote-read client yields with `promtool tsdb dump` of the same blocks.
 */
import { compareStrings, type Labels } from '../../src/labels.ts';
import { stripExternalLabels } from '../../src/prometheus/external-labels.ts';
import type { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import type { Sample, SeriesChunks, Window } from '../../src/series.ts';
import { decodeXorChunk } from './reference-xor-decoder.ts';
import { EXTERNAL, labelsKey } from './remote-read-fixture.ts';

export async function readAll(client: RemoteReadClient, window: Window): Promise<SeriesChunks[]> {
  const out: SeriesChunks[] = [];
  for await (const s of client.read(window)) out.push(s);
  return out;
}

/** Samples of a series: decoded from its XOR chunks, or its raw samples. */
export function samplesOf(series: SeriesChunks): Sample[] {
  if (series.samples !== undefined) return series.samples;
  return series.chunks.flatMap((c) => decodeXorChunk(c.data));
}

/** What remote read should return for a stored series: external labels added, own labels win. */
export function withExternal(labels: Labels): Labels {
  const names = new Set(labels.map((l) => l[0]));
  return [...labels, ...EXTERNAL.filter((e) => !names.has(e[0]))].sort((a, b) => compareStrings(a[0], b[0]));
}

/** Series keyed by their stored labels (external labels stripped). */
export function byStoredLabels(series: readonly SeriesChunks[]): Map<string, SeriesChunks> {
  const out = new Map<string, SeriesChunks>();
  for (const s of series) out.set(labelsKey(stripExternalLabels(s.labels, EXTERNAL)), s);
  return out;
}
