import t from 'tap';
import { XorChunkEncoder, decodeXorChunk, encodeXorChunk, XOR_CHUNK_MAX_SAMPLES } from '../../src/tsdb/xor-chunk.ts';
import { TsdbError } from '../../src/tsdb/errors.ts';
import type { Sample } from '../../src/series.ts';
import { float64FromBits, float64Hex } from '../helpers/float-bits.ts';
import { referenceXorEncode } from '../helpers/reference-xor.ts';
import { seededRandom, type SeededRandom } from '../helpers/seeded-random.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Samples compared by timestamp and exact value bits (NaN payloads included). */
function sampleKeys(samples: readonly Sample[]): string[] {
  return samples.map((s) => `${s.t}:${float64Hex(s.v)}`);
}

function checkRoundTrip(tt: Tap, samples: Sample[], what: string): void {
  const bytes = encodeXorChunk(samples);
  tt.equal(hex(bytes), hex(referenceXorEncode(samples)), `${what}: bytes equal the reference encoder`);
  tt.same(sampleKeys(decodeXorChunk(bytes)), sampleKeys(samples), `${what}: round-trips bit-exactly`);
  const v3 = encodeXorChunk(samples, 'prometheus3');
  tt.equal(hex(v3), hex(referenceXorEncode(samples, 'prometheus3')), `${what}: 3.x layout equals the reference`);
  tt.same(sampleKeys(decodeXorChunk(v3)), sampleKeys(samples), `${what}: 3.x layout round-trips`);
}
/** The assertions the helpers use; subtests and the root test both have them. */
type Tap = Pick<typeof t, 'equal' | 'same'>;

const STALE_NAN = float64FromBits(0x7ff00000, 0x00000002);
const EDGE_VALUES: Array<[string, number]> = [
  ['stale marker', STALE_NAN],
  ['Go NaN', float64FromBits(0x7ff80000, 0x00000001)],
  ['JS NaN', NaN],
  ['negative quiet NaN', float64FromBits(0xfff80000, 0)],
  ['negative signalling NaN', float64FromBits(0xfff00000, 1)],
  ['NaN with payload', float64FromBits(0x7ff8dead, 0xbeef0001)],
  ['+0', 0],
  ['-0', -0],
  ['+Inf', Infinity],
  ['-Inf', -Infinity],
  ['MAX_VALUE', Number.MAX_VALUE],
  ['-MAX_VALUE', -Number.MAX_VALUE],
  ['MIN_VALUE', Number.MIN_VALUE],
  ['-MIN_VALUE', -Number.MIN_VALUE],
  ['largest subnormal', float64FromBits(0x000fffff, 0xffffffff)],
  ['smallest normal', float64FromBits(0x00100000, 0)],
  ['1', 1],
  ['-1', -1],
  ['0.1', 0.1],
  ['2^53', 2 ** 53],
];

t.test('a hand-derived vector from the format description', async (tt) => {
  // count 2 | varint zigzag(1000)=2000: d0 0f | 1.0: 3ff0000000000000 | uvarint 1000: e8 07 |
  // 1.0^2.0 = 0x7ff0..: '1' '1' lead=00001 sig=001011 bits=11111111111 -> c2 5f ff
  const bytes = encodeXorChunk([
    { t: 1000, v: 1 },
    { t: 2000, v: 2 },
  ]);
  tt.equal(hex(bytes), '0002d00f3ff0000000000000e807c25fff');
  tt.same(decodeXorChunk(bytes), [
    { t: 1000, v: 1 },
    { t: 2000, v: 2 },
  ]);
});

t.test('vectors written by promtool 2.42 (hexdump of its chunks/000001)', async (tt) => {
  // a{k="1"} 1000000 @1700107200.000, a{k="2"} 5 @…201 and 6 @…202, b 7 @1700107300.000
  tt.equal(hex(encodeXorChunk([{ t: 1_700_107_200_000, v: 1e6 }])), '00018098c9e4fa62412e84800000000000');
  tt.equal(
    hex(
      encodeXorChunk([
        { t: 1_700_107_201_000, v: 5 },
        { t: 1_700_107_202_000, v: 6 },
      ]),
    ),
    '0002d0a7c9e4fa624014000000000000e807d816',
  );
  tt.equal(hex(encodeXorChunk([{ t: 1_700_107_300_000, v: 7 }])), '0001c0b2d5e4fa62401c00000000000000');
  // Prometheus 3 no longer leaves the spare byte after a whole-byte write on a byte boundary.
  tt.equal(hex(encodeXorChunk([{ t: 1_700_107_300_000, v: 7 }], 'prometheus3')), '0001c0b2d5e4fa62401c000000000000');
  tt.same(decodeXorChunk(Buffer.from('0001c0b2d5e4fa62401c00000000000000', 'hex')), [{ t: 1_700_107_300_000, v: 7 }]);
});

t.test('edge values round-trip bit-exactly, alone and next to each other', async (tt) => {
  tt.equal(float64Hex(STALE_NAN), '7ff0000000000002', 'the stale marker is built with its exact bits');
  for (const [name, v] of EDGE_VALUES) {
    checkRoundTrip(tt, [{ t: 5, v }], `${name} alone`);
    const decoded = decodeXorChunk(encodeXorChunk([{ t: 5, v }]))[0];
    tt.equal(float64Hex(decoded?.v ?? 0), float64Hex(v), `${name} keeps its bits`);
  }
  for (const [a, va] of EDGE_VALUES) {
    for (const [b, vb] of EDGE_VALUES) {
      const samples = [va, vb, va, vb, vb, va].map((v, i) => ({ t: 1_700_000_000_000 + i * 15_000, v }));
      checkRoundTrip(tt, samples, `${a} / ${b}`);
    }
  }
  const rnd = seededRandom(7);
  const shuffled = EDGE_VALUES.map(([, v]) => v).sort(() => rnd.next() - 0.5);
  checkRoundTrip(
    tt,
    shuffled.map((v, i) => ({ t: i * 1000, v })),
    'all edge values in one chunk',
  );
});

t.test('the stale marker keeps its bits through the incremental encoder', async (tt) => {
  const enc = new XorChunkEncoder();
  enc.append(1, 1.5);
  enc.append(2, STALE_NAN);
  enc.append(3, 2.5);
  const got = decodeXorChunk(enc.bytes());
  tt.equal(float64Hex(got[1]?.v ?? 0), '7ff0000000000002');
});

t.test('first timestamps of every sign and size', async (tt) => {
  for (const ts of [0, 1, -1, 63, 64, -64, -65, 1_700_000_000_000, -1_700_000_000_000, 2 ** 53 - 1, -(2 ** 53 - 1)]) {
    checkRoundTrip(tt, [{ t: ts, v: 1 }], `t=${ts}`);
  }
  checkRoundTrip(
    tt,
    [
      { t: -(2 ** 53 - 1), v: 1 },
      { t: -1, v: 2 },
    ],
    'two negative timestamps',
  );
  checkRoundTrip(
    tt,
    [
      { t: 0, v: 1 },
      { t: 2 ** 53 - 1, v: 2 },
    ],
    'delta 2^53-1',
  );
  checkRoundTrip(
    tt,
    [
      { t: 0, v: 1 },
      { t: 1, v: 2 },
      { t: 2 ** 53 - 1, v: 2 },
    ],
    'dod 2^53-3',
  );
});

/** Bits the dod of `x` takes per xor.go's bitRange table, derived independently of src. */
function dodBits(x: number): number {
  if (x === 0) return 1;
  if (x >= -(2 ** 13 - 1) && x <= 2 ** 13) return 2 + 14;
  if (x >= -(2 ** 16 - 1) && x <= 2 ** 16) return 3 + 17;
  if (x >= -(2 ** 19 - 1) && x <= 2 ** 19) return 4 + 20;
  return 4 + 64;
}

t.test('delta-of-delta lands in the right bucket on both sides of every boundary', async (tt) => {
  const boundaries = [
    0,
    1,
    -1,
    8191,
    8192,
    8193,
    -8190,
    -8191,
    -8192,
    -8193,
    65535,
    65536,
    65537,
    -65534,
    -65535,
    -65536,
    -65537,
    524287,
    524288,
    524289,
    -524286,
    -524287,
    -524288,
    -524289,
    2 ** 31,
    -(2 ** 31),
    2 ** 32 + 5,
    -(2 ** 32 + 5),
    2 ** 40,
    -(2 ** 40),
    2 ** 52,
  ];
  const B = 2 ** 41;
  const t0 = 1_700_000_000_000;
  for (const x of boundaries) {
    const samples = [
      { t: t0, v: 3 },
      { t: t0 + B, v: 3 },
      { t: t0 + 2 * B + x, v: 3 },
    ];
    const bytes = encodeXorChunk(samples, 'prometheus3');
    // header + varint(t0) (6 bytes) + 8 value bytes + uvarint(2^41) (6 bytes), then the bit stream:
    // value-unchanged bit, dod, value-unchanged bit.
    const expected = 2 + 6 + 8 + 6 + Math.ceil((1 + dodBits(x) + 1) / 8);
    tt.equal(bytes.length, expected, `dod ${x} takes ${dodBits(x)} bits`);
    checkRoundTrip(tt, samples, `dod ${x}`);
    if (Math.abs(x) < B) {
      checkRoundTrip(tt, [...samples, { t: t0 + 3 * B, v: 4 }, { t: t0 + 4 * B - x + 1, v: 5 }], `dod ${x} and back`);
    }
  }
});

t.test('regular scrapes: 1 sample, 120 samples, a counter with resets', async (tt) => {
  checkRoundTrip(tt, [{ t: 1_700_000_000_000, v: 42 }], 'one sample');
  const gauge = Array.from({ length: 120 }, (_, i) => ({ t: 1_700_000_000_000 + i * 15_000, v: Math.sin(i) * 100 }));
  checkRoundTrip(tt, gauge, '120 samples');
  const rnd = seededRandom(11);
  let c = 0;
  const counter = Array.from({ length: 120 }, (_, i) => {
    c = i % 37 === 36 ? rnd.int(0, 3) : c + rnd.int(0, 1000);
    return { t: 1_700_000_000_000 + i * 30_000 + rnd.int(-3, 3), v: c };
  });
  checkRoundTrip(tt, counter, 'counter with resets and jitter');
});

t.test('the maximum of 65535 samples fits; one more does not', async (tt) => {
  const max = Array.from({ length: XOR_CHUNK_MAX_SAMPLES }, (_, i) => ({ t: i, v: i % 3 }));
  const bytes = encodeXorChunk(max);
  tt.equal((bytes[0]! << 8) | bytes[1]!, 65535);
  tt.same(sampleKeys(decodeXorChunk(bytes)), sampleKeys(max));
  tt.throws(() => encodeXorChunk([...max, { t: 70_000, v: 1 }]), { code: 'PROMSHIP_TSDB_XOR_CAPACITY' });
  const enc = new XorChunkEncoder();
  for (const s of max) enc.append(s.t, s.v);
  tt.throws(() => enc.append(70_000, 1), { code: 'PROMSHIP_TSDB_XOR_CAPACITY' });
});

t.test('bad timestamps are refused with typed errors', async (tt) => {
  tt.throws(
    () =>
      encodeXorChunk([
        { t: 10, v: 1 },
        { t: 10, v: 2 },
      ]),
    { code: 'PROMSHIP_TSDB_SAMPLE_ORDER' },
  );
  tt.throws(
    () =>
      encodeXorChunk([
        { t: 10, v: 1 },
        { t: 9, v: 2 },
      ]),
    { code: 'PROMSHIP_TSDB_SAMPLE_ORDER' },
  );
  tt.throws(
    () =>
      encodeXorChunk([
        { t: 10, v: 1 },
        { t: 20, v: 2 },
        { t: 15, v: 2 },
      ]),
    {
      code: 'PROMSHIP_TSDB_SAMPLE_ORDER',
    },
  );
  tt.throws(() => encodeXorChunk([{ t: 1.5, v: 1 }]), { code: 'PROMSHIP_TSDB_TIMESTAMP_RANGE' });
  tt.throws(() => encodeXorChunk([{ t: NaN, v: 1 }]), { code: 'PROMSHIP_TSDB_TIMESTAMP_RANGE' });
  tt.throws(() => encodeXorChunk([{ t: 2 ** 53, v: 1 }]), { code: 'PROMSHIP_TSDB_TIMESTAMP_RANGE' });
  tt.throws(
    () =>
      encodeXorChunk([
        { t: -(2 ** 52), v: 1 },
        { t: 2 ** 52, v: 1 },
      ]),
    {
      code: 'PROMSHIP_TSDB_TIMESTAMP_RANGE',
    },
  );
});

t.test('the incremental encoder matches the one-shot encoder at every step', async (tt) => {
  const rnd = seededRandom(3);
  const samples = randomSamples(rnd, 300);
  const enc = new XorChunkEncoder({ expectedSamples: 1 });
  tt.equal(enc.count, 0);
  tt.equal(enc.minTime, undefined);
  tt.equal(hex(enc.bytes()), '0000', 'an empty chunk is just the count');
  samples.forEach((s, i) => {
    enc.append(s.t, s.v);
    if (i % 17 === 0 || i === samples.length - 1) {
      tt.equal(hex(enc.bytes()), hex(referenceXorEncode(samples.slice(0, i + 1))), `after ${i + 1} samples`);
    }
  });
  tt.equal(enc.count, samples.length);
  tt.equal(enc.minTime, samples[0]?.t);
  tt.equal(enc.maxTime, samples.at(-1)?.t);
});

/** Timestamps and values from a mix of realistic and hostile distributions. */
function randomSamples(rnd: SeededRandom, n: number): Sample[] {
  const out: Sample[] = [];
  const tMode = rnd.int(0, 3);
  const step = rnd.pick([1, 1000, 15_000, 60_000, 3_600_000]);
  let ts = rnd.pick([0, -5_000_000, 1_700_000_000_000, rnd.int(-1e12, 1e12)]);
  let v = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) {
      if (tMode === 0) ts += step;
      else if (tMode === 1) ts += Math.max(1, step + rnd.int(-50, 50));
      else if (tMode === 2) ts += rnd.pick([1, step, step * 2, rnd.int(1, 2 ** 31), rnd.int(1, 2 ** 40)]);
      else ts += rnd.int(1, 1_000_000);
    }
    const vMode = rnd.int(0, 7);
    if (vMode === 0) v = float64FromBits(rnd.uint32(), rnd.uint32());
    else if (vMode === 1) v = rnd.int(-1e6, 1e6);
    else if (vMode === 2) v = v + rnd.next();
    else if (vMode === 3) {
      // flip a few bits of the previous value, which exercises window reuse
      const h = float64Hex(v);
      const hi = parseInt(h.slice(0, 8), 16);
      const lo = parseInt(h.slice(8), 16);
      v = float64FromBits(hi ^ (rnd.next() < 0.5 ? 1 << rnd.int(0, 31) : 0), lo ^ (1 << rnd.int(0, 31)));
    } else if (vMode === 4) v = rnd.pick(EDGE_VALUES)[1];
    // else: value unchanged
    out.push({ t: ts, v });
  }
  return out;
}

t.test('random samples match the reference encoder and round-trip (seeded)', async (tt) => {
  const rnd = seededRandom(20240601);
  let checked = 0;
  for (let iter = 0; iter < 300; iter++) {
    const samples = randomSamples(rnd, rnd.int(1, 250));
    const layout = iter % 2 === 0 ? 'prometheus2' : 'prometheus3';
    const bytes = encodeXorChunk(samples, layout);
    const ref = referenceXorEncode(samples, layout);
    if (hex(bytes) !== hex(ref)) {
      tt.fail(`iteration ${iter}: bytes differ from the reference`, { samples: sampleKeys(samples) });
      break;
    }
    const back = sampleKeys(decodeXorChunk(bytes));
    if (back.join() !== sampleKeys(samples).join()) {
      tt.fail(`iteration ${iter}: round trip differs`);
      break;
    }
    checked++;
  }
  tt.equal(checked, 300);
});

t.test('decoding damaged data throws XorChunkCorruptError, never anything else', async (tt) => {
  tt.throws(() => decodeXorChunk(new Uint8Array([])), { code: 'PROMSHIP_TSDB_XOR_CORRUPT' });
  tt.throws(() => decodeXorChunk(new Uint8Array([0])), { code: 'PROMSHIP_TSDB_XOR_CORRUPT' });
  tt.same(decodeXorChunk(new Uint8Array([0, 0])), [], 'count 0 is an empty chunk');
  tt.throws(() => decodeXorChunk(new Uint8Array([0xff, 0xff, 1, 2, 3])), { code: 'PROMSHIP_TSDB_XOR_CORRUPT' });
  // 11 continuation bytes: a varint longer than Go allows
  tt.throws(() => decodeXorChunk(new Uint8Array([0, 1, ...new Array<number>(11).fill(0xff), 0, 0, 0, 0, 0, 0, 0, 0])), {
    code: 'PROMSHIP_TSDB_XOR_CORRUPT',
  });
  // second sample with delta 0
  tt.throws(() => decodeXorChunk(new Uint8Array([0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), {
    code: 'PROMSHIP_TSDB_XOR_CORRUPT',
  });

  const rnd = seededRandom(99);
  // The 3.x layout has no spare byte, so every strict prefix lacks bits of the last sample.
  const valid = encodeXorChunk(randomSamples(rnd, 200), 'prometheus3');
  let prefixes = 0;
  for (let len = 0; len < valid.length; len++) {
    try {
      decodeXorChunk(valid.subarray(0, len));
      tt.fail(`a ${len}-byte prefix decoded`);
    } catch (err) {
      if (!(err instanceof TsdbError) || err.code !== 'PROMSHIP_TSDB_XOR_CORRUPT') throw err;
      prefixes++;
    }
  }
  tt.equal(prefixes, valid.length, 'every strict prefix is reported as corrupt');

  let garbage = 0;
  for (let iter = 0; iter < 3000; iter++) {
    const bytes = new Uint8Array(rnd.int(0, 64)).map(() => rnd.int(0, 255));
    if (iter % 2 === 0 && bytes.length > 2) bytes[0] = 0; // small counts reach deeper into the stream
    try {
      const got = decodeXorChunk(bytes);
      for (let i = 1; i < got.length; i++) {
        if (!(got[i]!.t > got[i - 1]!.t)) tt.fail('decoded timestamps must strictly increase');
      }
    } catch (err) {
      if (!(err instanceof TsdbError) || err.code !== 'PROMSHIP_TSDB_XOR_CORRUPT') throw err;
      garbage++;
    }
  }
  tt.ok(garbage > 1000, `most garbage is rejected (${garbage} of 3000)`);
});
