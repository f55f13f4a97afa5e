/**
 * Series from a STREAMED_XOR_CHUNKS response. Prometheus sends one series per frame but splits a
 * long series over several consecutive frames (`--storage.remote.read-max-bytes-in-frame`); once
 * a new series starts, no more chunks follow for the previous one, so consecutive frames with
 * equal labels are joined into one series.
 */
import type { SeriesChunks } from '../series.ts';
import { ChunkedResponseDecoder } from './chunked-response-decoder.ts';
import { RemoteReadCode, ReadFault } from './errors.ts';
import { sameLabels, sortedLabels } from './wire-labels.ts';

export async function* seriesFromFrames(
  frames: AsyncIterable<Uint8Array>,
): AsyncGenerator<SeriesChunks, void, undefined> {
  const decoder = new ChunkedResponseDecoder();
  let current: SeriesChunks | undefined;
  for await (const frame of frames) {
    const response = decoder.decode(frame);
    if (response.queryIndex !== 0) {
      throw new ReadFault(
        RemoteReadCode.Decode,
        `a frame answers query ${response.queryIndex}, but the request held only query 0`,
      );
    }
    for (const wire of response.series) {
      const labels = sortedLabels(wire.labels);
      if (current !== undefined && sameLabels(current.labels, labels)) {
        for (const c of wire.chunks) current.chunks.push(c);
        continue;
      }
      if (current !== undefined) yield current;
      current = { labels, chunks: wire.chunks };
    }
  }
  if (current !== undefined) yield current;
}
