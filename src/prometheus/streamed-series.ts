/**
 * Series from a STREAMED_XOR_CHUNKS response. Prometheus sends one series per frame but splits a
 * long series over several consecutive frames (`--storage.remote.read-max-bytes-in-frame`); once
 * a new series starts, no more chunks follow for the previous one, so consecutive frames with
 * equal labels are joined into one series.
 */
import type { Chunk, SeriesChunks } from '../series.ts';
import { RemoteReadCode, ReadFault } from './errors.ts';
import {
  decodeChunkedReadResponse,
  int64ToNearestNumber,
  int64ToNumber,
  type WireChunk,
} from './messages.ts';
import { labelsFromWire, sameLabels } from './wire-labels.ts';

export async function* seriesFromFrames(
  frames: AsyncIterable<Uint8Array>,
): AsyncGenerator<SeriesChunks, void, undefined> {
  let current: SeriesChunks | undefined;
  for await (const frame of frames) {
    const response = decodeChunkedReadResponse(frame);
    const queryIndex = int64ToNumber(response.queryIndex);
    if (queryIndex !== 0) {
      throw new ReadFault(
        RemoteReadCode.Decode,
        `a frame answers query ${queryIndex}, but the request held only query 0`,
      );
    }
    for (const wire of response.chunkedSeries) {
      const labels = labelsFromWire(wire.labels);
      const chunks = wire.chunks.map(chunkFromWire);
      if (current !== undefined && sameLabels(current.labels, labels)) {
        for (const c of chunks) current.chunks.push(c);
        continue;
      }
      if (current !== undefined) yield current;
      current = { labels, chunks };
    }
  }
  if (current !== undefined) yield current;
}

const NO_BYTES = new Uint8Array(0);

function chunkFromWire(wire: WireChunk): Chunk {
  return {
    minTime: int64ToNearestNumber(wire.minTimeMs),
    maxTime: int64ToNearestNumber(wire.maxTimeMs),
    encoding: wire.type,
    // protobufjs leaves an absent bytes field as its shared default, a frozen empty *array*
    // (found by test/fuzz); downstream code needs bytes, and rejects an empty chunk as corrupt.
    data: wire.data instanceof Uint8Array ? wire.data : NO_BYTES,
  };
}
