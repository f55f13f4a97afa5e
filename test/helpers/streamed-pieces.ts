import type { FrameReaderOptions } from '../../src/prometheus/frame-reader.ts';
import { StreamedSeries } from '../../src/prometheus/streamed-series.ts';
import type { SeriesChunks } from '../../src/series.ts';

/** A streamed response body, arriving in `pieces`, into series: the loop remote read runs. */
export function seriesOfPieces(pieces: Iterable<Uint8Array>, options: FrameReaderOptions = {}): SeriesChunks[] {
  const stream = new StreamedSeries(options);
  const out: SeriesChunks[] = [];
  for (const piece of pieces) {
    stream.push(piece);
    for (let s = stream.next(); s !== undefined; s = stream.next()) out.push(s);
  }
  const last = stream.end();
  if (last !== undefined) out.push(last);
  return out;
}
