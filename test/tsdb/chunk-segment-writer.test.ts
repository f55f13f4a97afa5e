/**
 * Segment files parsed here straight from the format doc: header, per-chunk framing and CRC,
 * references `(segment << 32) | offset`, and a new segment cut before one would grow too big.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { crc32c } from '@node-rs/crc32';
import { ChunkSegmentWriter } from '../../src/tsdb/chunk-segment-writer.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('segments, framing and references', async (t) => {
  const dir = join(await tempDir(t), 'chunks');
  await mkdir(dir);
  const w = ChunkSegmentWriter.open(dir, 100);
  const payloads = Array.from(
    { length: 12 },
    (_, i) => new Uint8Array(Array.from({ length: 10 + i * 3 }, (_, k) => (k * 31 + i) & 0xff)),
  );
  const refs: number[] = [];
  for (const [i, p] of payloads.entries()) refs.push(await w.write(1 + (i % 3), p));
  const segments = await w.close();
  t.ok(segments.length > 3);

  const files = await Promise.all(segments.map((s) => readFile(join(dir, s.name))));
  t.same(
    segments.map((s) => s.name),
    files.map((_, i) => String(i + 1).padStart(6, '0')),
  );
  for (const [i, f] of files.entries()) {
    t.equal(f.length, segments[i]!.sizeBytes);
    t.same([...f.subarray(0, 8)], [0x85, 0xbd, 0x40, 0xdd, 1, 0, 0, 0], 'header');
    // Only a segment's first chunk may push it past the limit (it has to go somewhere).
    const chunkCount = refs.filter((r) => Math.floor(r / 2 ** 32) === i).length;
    t.ok(f.length <= 100 || chunkCount === 1, `segment ${i} within limit`);
  }
  for (const [i, ref] of refs.entries()) {
    const seg = Math.floor(ref / 2 ** 32);
    const off = ref % 2 ** 32;
    const f = files[seg]!;
    const len = f[off]!; // all payloads < 128 bytes: one-byte uvarint
    t.equal(len, payloads[i]!.length);
    t.equal(f[off + 1], 1 + (i % 3), 'encoding byte');
    t.ok(Buffer.from(payloads[i]!).equals(f.subarray(off + 2, off + 2 + len)), 'data');
    const crc = f.readUInt32BE(off + 2 + len);
    t.equal(crc, crc32c(f.subarray(off + 1, off + 2 + len)) >>> 0, 'CRC over encoding + data');
  }
  t.ok(
    refs.some((r) => r >= 2 ** 32),
    'refs beyond the first segment exceed 2^32',
  );
});
