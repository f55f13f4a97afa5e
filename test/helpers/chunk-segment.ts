/**
 * A minimal, independent reader for Prometheus chunk segment files (`chunks/000001`): 8-byte
 * header (magic 0x85BD40DD, version 1, 3 zero bytes), then per chunk a uvarint data length, one
 * encoding byte, the data and a big-endian CRC32C over encoding byte + data. Written from the
 * format description only, so tests can read what real Prometheus/promtool wrote.
 */
import { crc32c } from '@node-rs/crc32';
import { readFile } from 'node:fs/promises';

export interface SegmentChunk {
  /** Byte offset of the chunk within the segment (the low 32 bits of a chunk ref). */
  offset: number;
  encoding: number;
  data: Uint8Array;
}

function parseChunkSegment(bytes: Uint8Array): SegmentChunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || view.getUint32(0) !== 0x85bd40dd || bytes[4] !== 1) {
    throw new Error('not a v1 chunk segment (bad magic or version)');
  }
  const out: SegmentChunk[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    const offset = pos;
    let len = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[pos++];
      if (b === undefined) throw new Error(`truncated length at ${offset}`);
      len += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
    }
    const encoding = bytes[pos++];
    if (encoding === undefined || pos + len + 4 > bytes.length) {
      throw new Error(`truncated chunk at ${offset}`);
    }
    const data = bytes.subarray(pos, pos + len);
    const crc = view.getUint32(pos + len);
    const want = crc32c(Buffer.from(bytes.buffer, bytes.byteOffset + pos - 1, len + 1));
    if (crc !== want) throw new Error(`CRC mismatch for chunk at ${offset}`);
    out.push({ offset, encoding, data });
    pos += len + 4;
  }
  return out;
}

export async function readChunkSegment(file: string): Promise<SegmentChunk[]> {
  return parseChunkSegment(new Uint8Array(await readFile(file)));
}
