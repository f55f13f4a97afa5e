/**
 * Series from a SAMPLES response: one snappy-compressed ReadResponse holding raw samples, which
 * Prometheus does not promise to sort. Series come out sorted by labels, samples by time.
 */
import { uncompress } from '../snappy.ts';
import { compareLabels, formatLabels } from '../labels.ts';
import type { Sample, SeriesChunks } from '../series.ts';
import { ReadFault } from './errors.ts';
import { decodeReadResponse } from './read-response-decoder.ts';
import { labelsFromWire } from './wire-labels.ts';

export async function seriesFromSampledResponse(compressed: Uint8Array): Promise<SeriesChunks[]> {
  let raw: Buffer;
  try {
    raw = (await uncompress(compressed, { asBuffer: true })) as Buffer;
  } catch (err) {
    throw new ReadFault(
      'PROMSHIP_REMOTE_READ_DECODE',
      `the ${compressed.length}-byte SAMPLES response is not snappy block data (${(err as Error).message})`,
      { cause: err },
    );
  }
  const results = decodeReadResponse(raw);
  if (results.length > 1) {
    throw new ReadFault(
      'PROMSHIP_REMOTE_READ_DECODE',
      `the SAMPLES response holds ${results.length} query results, but the request held one query`,
    );
  }
  const out: SeriesChunks[] = [];
  for (const ts of results[0] ?? []) {
    const labels = labelsFromWire(ts.labels);
    if (ts.histograms > 0) {
      throw new ReadFault(
        'PROMSHIP_REMOTE_READ_DECODE',
        `series ${formatLabels(labels)} holds native histograms, which promship cannot take from a SAMPLES response; let Prometheus stream chunks (STREAMED_XOR_CHUNKS)`,
      );
    }
    // A series matched by the index but without samples in the window would become an empty
    // series in the block.
    if (ts.samples.length === 0) continue;
    out.push({ labels, chunks: [], samples: sortedByTime(ts.samples) });
  }
  // Equal label sets stay apart: twins that Prometheus' external labels made equal (one stores
  // the label, the other gets it added). The shipper tells them apart (see DistinctStripper).
  out.sort((a, b) => compareLabels(a.labels, b.labels));
  return out;
}

function sortedByTime(samples: Sample[]): Sample[] {
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1]!.t >= samples[i]!.t) return samples.sort((a, b) => a.t - b.t);
  }
  return samples;
}
