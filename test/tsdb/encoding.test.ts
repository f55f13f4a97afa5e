/** Binary primitives against known vectors (Go's encoding/binary and the CRC-32C check value). */
import t from 'tap';
import { crc32c } from '@node-rs/crc32';
import {
  ByteReader,
  ByteWriter,
  crc32cOf,
  crc32cOfRange,
  packChunkRef,
  unpackChunkRef,
  uvarintSize,
} from '../../src/tsdb/encoding.ts';

const bytes = (f: (w: ByteWriter) => void): number[] => {
  const w = new ByteWriter(4);
  f(w);
  return [...w.view()];
};
const fail = (m: string): Error => Object.assign(new Error(m), { code: 'TEST' });

t.test('uvarint and varint match Go', async (t) => {
  t.same(
    bytes((w) => w.putUvarint(0)),
    [0],
  );
  t.same(
    bytes((w) => w.putUvarint(300)),
    [0xac, 0x02],
  );
  t.same(
    bytes((w) => w.putUvarint(2 ** 32)),
    [0x80, 0x80, 0x80, 0x80, 0x10],
  );
  t.same(
    bytes((w) => w.putVarint(-1)),
    [0x01],
  );
  t.same(
    bytes((w) => w.putVarint(1)),
    [0x02],
  );
  t.same(
    bytes((w) => w.putVarint(-65)),
    [0x81, 0x01],
  );
  // 1700000000000 ms as Go's PutVarint writes it (these bytes open the first chunk meta of a
  // promtool-made index whose first sample is at that time).
  t.same(
    bytes((w) => w.putVarint(1_700_000_000_000)),
    [0x80, 0xa0, 0xab, 0xfe, 0xf9, 0x62],
  );
  const big = Number.MAX_SAFE_INTEGER;
  for (const n of [0, 1, 127, 128, 300, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 + 5, 2 ** 52 + 3, big]) {
    const b = new Uint8Array(bytes((w) => w.putUvarint(n)));
    t.equal(b.length, uvarintSize(n));
    t.equal(new ByteReader(b, fail).uvarint(), n);
  }
  for (const n of [0, -1, 1, -(2 ** 40), 2 ** 40, 2 ** 52 - 1, -(2 ** 52)]) {
    t.equal(new ByteReader(new Uint8Array(bytes((w) => w.putVarint(n))), fail).varint(), n, String(n));
  }
  // Zig-zag of values beyond ±2^52 exceeds 2^53: written exactly, refused on read.
  t.same(
    bytes((w) => w.putVarint(big)),
    [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f],
  );
  t.throws(() => new ByteReader(new Uint8Array(bytes((w) => w.putVarint(big))), fail).varint(), { code: 'TEST' });
});

t.test('big-endian and strings', async (t) => {
  t.same(
    bytes((w) => w.putBe32(0xbaaad700)),
    [0xba, 0xaa, 0xd7, 0x00],
  );
  t.same(
    bytes((w) => w.putBe64(2 ** 32 + 2)),
    [0, 0, 0, 1, 0, 0, 0, 2],
  );
  t.same(
    bytes((w) => w.putUvarintString('é')),
    [2, 0xc3, 0xa9],
  );
  // ASCII is copied char by char; non-ASCII anywhere, or 128 chars and more, goes through UTF-8.
  for (const s of ['', 'up', 'pod-123', 'ab\u007f', 'abcé', '😀x', 'x'.repeat(127), 'x'.repeat(128), 'é'.repeat(100)]) {
    const utf8 = Buffer.from(s, 'utf8');
    const w = new ByteWriter(16);
    w.putByte(7);
    w.putUvarintString(s);
    t.same([...w.view()], [7, ...bytes((v) => v.putUvarint(utf8.length)), ...utf8], JSON.stringify(s).slice(0, 20));
  }
  t.same(
    bytes((w) => w.putRange(Uint8Array.of(1, 2, 3, 4, 5), 1, 4)),
    [2, 3, 4],
  );
  const r = new ByteReader(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, 2, 0xc3, 0xa9]), fail);
  t.equal(r.be64(), 2 ** 32 + 2);
  t.equal(r.uvarintString(), 'é');
});

t.test('CRC32C', async (t) => {
  t.equal(crc32cOf(Buffer.from('123456789')), 0xe3069283, 'standard check value');
  t.equal(crc32cOf(Buffer.from('6789'), crc32cOf(Buffer.from('12345'))), 0xe3069283, 'continues across pieces');
  // Small inputs are computed in JavaScript, large ones natively: both must agree everywhere.
  const bytes = Buffer.alloc(700);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 0xff;
  let mismatches = 0;
  for (let len = 0; len <= 600; len += len < 40 ? 1 : 17) {
    for (const start of [0, 1, 5, 64]) {
      const piece = bytes.subarray(start, start + len);
      for (const previous of [0, 0xe3069283, 0xffffffff]) {
        const want = crc32c(piece, previous) >>> 0;
        if (crc32cOf(piece, previous) !== want || crc32cOfRange(bytes, start, start + len, previous) !== want)
          mismatches++;
      }
    }
  }
  t.equal(mismatches, 0, 'JavaScript and native CRC32C agree for every length, offset and seed');
  const w = new ByteWriter(16);
  w.putBytes(Buffer.from('xx123456789'));
  t.equal(w.crc32cFrom(2), 0xe3069283);
});

t.test('chunk refs exceed 32 bits', async (t) => {
  t.equal(packChunkRef(3, 8), 3 * 2 ** 32 + 8);
  t.same(unpackChunkRef(3 * 2 ** 32 + 8), { segmentIndex: 3, offset: 8 });
});

t.test('hostile input fails through the given error, never hangs', async (t) => {
  t.throws(() => new ByteReader(new Uint8Array([0x80, 0x80]), fail).uvarint(), { code: 'TEST' }, 'truncated');
  t.throws(() => new ByteReader(new Uint8Array(11).fill(0xff), fail).uvarint(), { code: 'TEST' }, 'overlong');
  t.throws(
    () => new ByteReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), fail).uvarint(),
    { code: 'TEST' },
    'beyond 2^53',
  );
  t.throws(() => new ByteReader(new Uint8Array([5, 1]), fail).uvarintString(), { code: 'TEST' }, 'string past the end');
  t.throws(() => new ByteReader(new Uint8Array(8).fill(0xff), fail).be64(), { code: 'TEST' });
});
