/**
 * Series from a STREAMED_XOR_CHUNKS response. Prometheus sends one series per frame but splits a
 * long series over several consecutive frames (`--storage.remote.read-max-bytes-in-frame`); once
 * a new series starts, no more chunks follow for the previous one, so consecutive frames with
 * equal labels whose chunks go on in time are joined into one series. Equal labels with chunks
 * that start over in time are two series: twins that Prometheus' external labels made equal
 * (one stores the label, the other gets it added); they stay apart for the shipper to tell apart.
 *
 * The work is synchronous (`StreamedSeries`): the only promise per body piece is the network's,
 * and the reader yields each series once. Stacked async generators (body → frames → series →
 * reader) cost a promise hop per frame and per series in each layer, which for 10,000 series was
 * a measurable part of a window in a fresh process.
 */
import type { Chunk, SeriesChunks } from '../series.ts';
import { ChunkedResponseDecoder } from './chunked-response-decoder.ts';
import { ReadFault } from './errors.ts';
import { FrameSplitter, type FrameReaderOptions } from './frame-reader.ts';
import { sameLabels, sortedLabels } from './wire-labels.ts';

/** Frames in, whole series out. */
class SeriesJoiner {
  private readonly decoder = new ChunkedResponseDecoder();
  private current: SeriesChunks | undefined;
  /** Series completed by the last frame, handed out by `take`. */
  private ready: SeriesChunks[] = [];
  private readyAt = 0;

  add(frame: Uint8Array): void {
    const response = this.decoder.decode(frame);
    if (response.queryIndex !== 0) {
      throw new ReadFault(
        'PROMSHIP_REMOTE_READ_DECODE',
        `a frame answers query ${response.queryIndex}, but the request held only query 0`,
      );
    }
    for (const wire of response.series) {
      const labels = sortedLabels(wire.labels);
      const current = this.current;
      if (current !== undefined && sameLabels(current.labels, labels) && continues(current.chunks, wire.chunks)) {
        for (const c of wire.chunks) current.chunks.push(c);
        continue;
      }
      if (current !== undefined) this.ready.push(current);
      this.current = { labels, chunks: wire.chunks };
    }
  }

  take(): SeriesChunks | undefined {
    if (this.readyAt < this.ready.length) return this.ready[this.readyAt++];
    if (this.readyAt > 0) {
      this.ready.length = 0;
      this.readyAt = 0;
    }
    return undefined;
  }

  /** The last series, once no frame follows. */
  finish(): SeriesChunks | undefined {
    const last = this.current;
    this.current = undefined;
    return last;
  }
}

/** Whether `next` (a frame's chunks) can be the rest of the series that `chunks` began. */
function continues(chunks: readonly Chunk[], next: readonly Chunk[]): boolean {
  const last = chunks[chunks.length - 1];
  return last === undefined || next.length === 0 || next[0]!.minTime > last.maxTime;
}

/**
 * A streamed response body, piece by piece, into series: `push` a piece, take series with
 * `next` until undefined, and after the last piece take the final series from `end` (which
 * also fails a body that stops inside a frame).
 */
export class StreamedSeries {
  private readonly frames: FrameSplitter;
  private readonly joiner = new SeriesJoiner();

  constructor(frameOptions: FrameReaderOptions = {}) {
    this.frames = new FrameSplitter(frameOptions);
  }

  push(piece: Uint8Array): void {
    this.frames.push(piece);
  }

  next(): SeriesChunks | undefined {
    for (;;) {
      const s = this.joiner.take();
      if (s !== undefined) return s;
      const frame = this.frames.next();
      if (frame === undefined) return undefined;
      this.joiner.add(frame);
    }
  }

  end(): SeriesChunks | undefined {
    this.frames.end();
    return this.joiner.finish();
  }
}

/** The same over frames already split (tests, and any source of whole frames). */
export async function* seriesFromFrames(
  frames: AsyncIterable<Uint8Array>,
): AsyncGenerator<SeriesChunks, void, undefined> {
  const joiner = new SeriesJoiner();
  for await (const frame of frames) {
    joiner.add(frame);
    for (let s = joiner.take(); s !== undefined; s = joiner.take()) yield s;
  }
  const last = joiner.finish();
  if (last !== undefined) yield last;
}
