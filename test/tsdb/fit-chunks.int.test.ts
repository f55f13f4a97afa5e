import t from 'tap';
import { join } from 'node:path';
import { fitChunksToWindow } from '../../src/tsdb/fit-chunks.ts';
import { decodeXorChunk } from '../../src/tsdb/xor-chunk.ts';
import type { Chunk, Sample } from '../../src/series.ts';
import { readChunkSegment } from '../helpers/chunk-segment.ts';
import { float64FromBits, float64Hex } from '../helpers/float-bits.ts';
import { createBlocksFromOpenMetrics, listBlockDirs, promtoolDump } from '../helpers/prometheus.ts';
import { referenceXorEncode } from '../helpers/reference-xor.ts';
import { tempDir } from '../helpers/tmp.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const keys = (samples: readonly Sample[]): string[] => samples.map((s) => `${s.t}:${float64Hex(s.v)}`);

/** An XOR chunk built by the independent reference encoder, with honest metadata. */
function xor(samples: Sample[]): Chunk {
  return { minTime: samples[0]!.t, maxTime: samples.at(-1)!.t, encoding: 1, data: referenceXorEncode(samples) };
}

function series(from: number, to: number, step: number, value = (t: number): number => t / 1000): Sample[] {
  const out: Sample[] = [];
  for (let ts = from; ts <= to; ts += step) out.push({ t: ts, v: value(ts) });
  return out;
}

/** Checks the result chunks: ordered, disjoint, metadata matching bytes, samples as expected. */
type Asserts = Pick<typeof t, 'ok' | 'equal' | 'same'>;

function checkFitted(tt: Asserts, got: readonly Chunk[], expected: Sample[], what: string): void {
  const decoded: Sample[] = [];
  let prevMax = -Infinity;
  for (const c of got) {
    const samples = decodeXorChunk(c.data);
    tt.ok(samples.length > 0 && samples.length <= 65535, `${what}: chunk not empty`);
    tt.equal(c.minTime, samples[0]?.t, `${what}: minTime is the first sample`);
    tt.equal(c.maxTime, samples.at(-1)?.t, `${what}: maxTime is the last sample`);
    tt.ok(c.minTime > prevMax, `${what}: chunks ordered and disjoint`);
    prevMax = c.maxTime;
    decoded.push(...samples);
  }
  tt.same(keys(decoded), keys(expected), `${what}: exactly the samples inside the window`);
}

const W = { start: 10_000, end: 20_000 };
const inWindow = (s: Sample): boolean => s.t >= W.start && s.t < W.end;

t.test('chunks wholly inside are returned as the same objects', async (tt) => {
  const a = xor(series(10_000, 12_000, 500));
  const b = xor(series(13_000, 19_999, 1000));
  const got = fitChunksToWindow({ chunks: [a, b] }, W);
  tt.equal(got.length, 2);
  tt.equal(got[0], a, 'first chunk untouched');
  tt.equal(got[1], b, 'second chunk untouched');
  tt.equal(got[1]!.data, b.data, 'no copy of the bytes');
});

t.test('chunks wholly outside are dropped, including those touching the edges from outside', async (tt) => {
  const before = xor(series(1_000, 9_999, 1000));
  const after = xor(series(20_000, 30_000, 1000));
  tt.same(fitChunksToWindow({ chunks: [before, after] }, W), [], 'nothing in the window');
  tt.same(fitChunksToWindow({ chunks: [] }, W), [], 'no chunks at all');
});

t.test('chunks across an edge are cut and re-encoded like Prometheus would', async (tt) => {
  const left = series(7_000, 11_500, 500);
  const middle = series(12_000, 18_000, 1000);
  const right = series(19_000, 25_000, 333);
  const chunks = [xor(left), xor(middle), xor(right)];
  const got = fitChunksToWindow({ chunks }, W);
  checkFitted(tt, got, [...left, ...middle, ...right].filter(inWindow), 'three chunks');
  tt.equal(got.length, 3);
  tt.equal(hex(got[0]!.data), hex(referenceXorEncode(left.filter(inWindow))), 'left edge bytes');
  tt.equal(got[1], chunks[1], 'the middle chunk is untouched');
  tt.equal(hex(got[2]!.data), hex(referenceXorEncode(right.filter(inWindow))), 'right edge bytes');
  tt.equal(got[0]!.minTime, 10_000);
  tt.equal(got[2]!.maxTime, 19_999, 'the last sample before window.end (19000 + 3 × 333) is kept');

  const both = series(5_000, 25_000, 7);
  const gotBoth = fitChunksToWindow({ chunks: [xor(both)] }, W);
  checkFitted(tt, gotBoth, both.filter(inWindow), 'one chunk over both edges');

  const atEnd = [
    { t: 19_999, v: 1 },
    { t: 20_000, v: 2 },
  ];
  checkFitted(tt, fitChunksToWindow({ chunks: [xor(atEnd)] }, W), [{ t: 19_999, v: 1 }], 'end is exclusive');
  const atStart = [
    { t: 9_999, v: 1 },
    { t: 10_000, v: 2 },
  ];
  checkFitted(tt, fitChunksToWindow({ chunks: [xor(atStart)] }, W), [{ t: 10_000, v: 2 }], 'start is inclusive');
});

t.test('special values keep their bits through a cut', async (tt) => {
  const stale = float64FromBits(0x7ff00000, 2);
  const samples = [
    { t: 9_000, v: 1 },
    { t: 10_000, v: stale },
    { t: 11_000, v: -0 },
    { t: 12_000, v: float64FromBits(0xfff80000, 7) },
    { t: 21_000, v: 3 },
  ];
  const got = fitChunksToWindow({ chunks: [xor(samples)] }, W);
  checkFitted(tt, got, samples.filter(inWindow), 'stale marker, -0, negative NaN');
  tt.equal(float64Hex(decodeXorChunk(got[0]!.data)[0]!.v), '7ff0000000000002');
});

t.test('chunk ranges are taken from the bytes, not from the metadata sent along', async (tt) => {
  const samples = series(12_000, 15_000, 1000);
  // Prometheus marks open head chunks with maxTime = MaxInt64.
  const open: Chunk = { ...xor(samples), maxTime: 2 ** 63 };
  const got = fitChunksToWindow({ chunks: [open] }, W);
  checkFitted(tt, got, samples, 'open head chunk inside');
  tt.equal(got[0]!.data, open.data, 'its bytes are kept as they are');

  const spilling = series(15_000, 25_000, 1000);
  const lying: Chunk = { ...xor(spilling), maxTime: 19_000 };
  checkFitted(tt, fitChunksToWindow({ chunks: [lying] }, W), spilling.filter(inWindow), 'metadata claiming inside');
});

t.test('raw samples are filtered and packed into chunks of at most 120', async (tt) => {
  const raw = series(9_000, 20_500, 30); // 384 samples, 334 of them inside
  const expected = raw.filter(inWindow);
  const got = fitChunksToWindow({ chunks: [], samples: raw }, W);
  checkFitted(tt, got, expected, 'samples path');
  tt.same(
    got.map((c) => decodeXorChunk(c.data).length),
    [120, 120, expected.length - 240],
    'cut every 120 samples',
  );
  for (let i = 0; i < got.length; i++) {
    tt.equal(hex(got[i]!.data), hex(referenceXorEncode(expected.slice(i * 120, i * 120 + 120))), `chunk ${i} bytes`);
  }
  tt.same(fitChunksToWindow({ chunks: [], samples: series(1_000, 5_000, 1000) }, W), [], 'none inside');
  const edges = [
    { t: 9_999, v: 1 },
    { t: 10_000, v: 2 },
    { t: 19_999, v: 3 },
    { t: 20_000, v: 4 },
  ];
  checkFitted(tt, fitChunksToWindow({ chunks: [], samples: edges }, W), edges.slice(1, 3), 'start in, end out');
  const exactly = series(10_000, 10_000 + 119 * 10, 10);
  tt.same(
    fitChunksToWindow({ chunks: [], samples: exactly }, W).map((c) => c.maxTime - c.minTime),
    [1190],
  );
});

t.test('raw samples out of order are refused', async (tt) => {
  const samples = [
    { t: 12_000, v: 1 },
    { t: 11_000, v: 2 },
  ];
  tt.throws(() => fitChunksToWindow({ chunks: [], samples }, W), { code: 'PROMSHIP_TSDB_SAMPLE_ORDER' });
  const dup = [
    { t: 12_000, v: 1 },
    { t: 12_000, v: 1 },
  ];
  tt.throws(() => fitChunksToWindow({ chunks: [], samples: dup }, W), { code: 'PROMSHIP_TSDB_SAMPLE_ORDER' });
  const outsideDisorder = [
    { t: 3_000, v: 1 },
    { t: 2_000, v: 2 },
    { t: 12_000, v: 3 },
  ];
  tt.throws(() => fitChunksToWindow({ chunks: [], samples: outsideDisorder }, W), {
    code: 'PROMSHIP_TSDB_SAMPLE_ORDER',
  });
});

t.test('chunks and raw samples of one series are merged only when disjoint', async (tt) => {
  const early = series(10_000, 12_000, 1000);
  const late = series(15_000, 17_000, 1000);
  const got = fitChunksToWindow({ chunks: [xor(late)], samples: early }, W);
  checkFitted(tt, got, [...early, ...late], 'disjoint');
  tt.throws(() => fitChunksToWindow({ chunks: [xor(late)], samples: series(16_500, 18_000, 1000) }, W), {
    code: 'PROMSHIP_TSDB_CHUNK_ORDER',
  });
});

t.test('histogram chunks: kept whole inside, dropped outside, refused across an edge', async (tt) => {
  const h = (minTime: number, maxTime: number, encoding = 2): Chunk => ({
    minTime,
    maxTime,
    encoding,
    data: new Uint8Array([0, 1, 2, 3]),
  });
  const inside = h(11_000, 12_000);
  const floatInside = h(13_000, 14_000, 3);
  const got = fitChunksToWindow({ chunks: [h(1_000, 2_000), inside, floatInside, h(25_000, 26_000)] }, W);
  tt.equal(got.length, 2);
  tt.equal(got[0], inside);
  tt.equal(got[1], floatInside);
  tt.throws(() => fitChunksToWindow({ chunks: [h(9_000, 11_000)] }, W), { code: 'PROMSHIP_TSDB_HISTOGRAM_EDGE' });
  tt.throws(() => fitChunksToWindow({ chunks: [h(19_000, 20_000, 3)] }, W), { code: 'PROMSHIP_TSDB_HISTOGRAM_EDGE' });
});

t.test('overlapping or backwards chunks are refused, never merged', async (tt) => {
  const a = xor(series(10_000, 13_000, 1000));
  const b = xor(series(13_000, 15_000, 1000));
  const c = xor(series(16_000, 17_000, 1000));
  tt.throws(() => fitChunksToWindow({ chunks: [a, b] }, W), { code: 'PROMSHIP_TSDB_CHUNK_ORDER' }, 'shared timestamp');
  tt.throws(() => fitChunksToWindow({ chunks: [c, a] }, W), { code: 'PROMSHIP_TSDB_CHUNK_ORDER' }, 'backwards');
  const outside1 = xor(series(1_000, 5_000, 1000));
  const outside2 = xor(series(4_000, 6_000, 1000));
  tt.throws(
    () => fitChunksToWindow({ chunks: [outside1, outside2, c] }, W),
    { code: 'PROMSHIP_TSDB_CHUNK_ORDER' },
    'even outside the window',
  );
  const hist: Chunk = { minTime: 16_500, maxTime: 16_800, encoding: 2, data: new Uint8Array(4) };
  tt.throws(() => fitChunksToWindow({ chunks: [c, hist] }, W), { code: 'PROMSHIP_TSDB_CHUNK_ORDER' }, 'histogram');
});

t.test('bad input is refused with typed errors', async (tt) => {
  const ok = xor(series(11_000, 12_000, 1000));
  tt.throws(() => fitChunksToWindow({ chunks: [{ ...ok, encoding: 4 }] }, W), { code: 'PROMSHIP_TSDB_CHUNK_ENCODING' });
  tt.throws(() => fitChunksToWindow({ chunks: [{ ...ok, data: ok.data.subarray(0, 5) }] }, W), {
    code: 'PROMSHIP_TSDB_XOR_CORRUPT',
  });
  tt.throws(() => fitChunksToWindow({ chunks: [ok] }, { start: 5, end: 5 }), { code: 'PROMSHIP_TSDB_WINDOW' });
  tt.throws(() => fitChunksToWindow({ chunks: [ok] }, { start: 5.5, end: 9 }), { code: 'PROMSHIP_TSDB_WINDOW' });
});

t.test('cutting promtool-written chunks agrees with promtool dump of the same range', async (tt) => {
  const root = await tempDir(tt);
  const dataDir = join(root, 'data');
  const start = 1_700_006_400; // 2h-aligned, seconds
  const lines = ['# TYPE m gauge'];
  for (let i = 0; i < 7000; i++) lines.push(`m{x="1"} ${Math.round(Math.sin(i / 50) * 1e4) / 7} ${start + i}.0005`);
  lines.push('# EOF', '');
  await createBlocksFromOpenMetrics(lines.join('\n'), dataDir);
  const [block] = await listBlockDirs(dataDir);
  const chunks: Chunk[] = (await readChunkSegment(join(dataDir, block!, 'chunks', '000001'))).map((c) => {
    const s = decodeXorChunk(c.data);
    return { minTime: s[0]!.t, maxTime: s.at(-1)!.t, encoding: c.encoding, data: c.data };
  });
  tt.ok(chunks.length > 50, `${chunks.length} chunks from promtool`);
  const window = { start: start * 1000 + 1_234_567, end: start * 1000 + 5_432_109 };
  const got = fitChunksToWindow({ chunks }, window);
  const truth = (await promtoolDump(dataDir, { minTime: window.start, maxTime: window.end - 1 })).map((l) => {
    const [, v, ts] = /\} (\S+) (\d+)$/.exec(l)!;
    return { t: Number(ts), v: Number(v) };
  });
  tt.ok(truth.length > 4000, `${truth.length} samples in the window per promtool`);
  checkFitted(tt, got, truth, 'promtool block');
  const untouched = got.filter((c) => chunks.includes(c)).length;
  tt.equal(untouched, got.length - 2, 'all but the two edge chunks are passed through');
});

t.test('metadata of closed chunks is used only when it matches the bytes', async (tt) => {
  const a = series(11_000, 13_000, 1000);
  const b = series(14_000, 16_000, 1000);
  // Not the last chunk, inside the window, but the metadata does not start at the first sample.
  const wrongStart: Chunk = { ...xor(a), minTime: 11_500 };
  const got = fitChunksToWindow({ chunks: [wrongStart, xor(b)] }, W);
  checkFitted(tt, got, [...a, ...b], 'ranges taken from the bytes');
  tt.equal(got[0]!.minTime, 11_000);
  tt.equal(got[0]!.maxTime, a.at(-1)!.t);
  // A one-sample chunk must claim a zero-length range, and a longer one a non-zero one.
  const single = series(12_000, 12_001, 1000);
  const claimsLonger: Chunk = { ...xor(single), maxTime: 12_500 };
  const got2 = fitChunksToWindow({ chunks: [claimsLonger, xor(b)] }, W);
  tt.equal(got2[0]!.maxTime, 12_000, 'a single sample chunk ends where it starts');
});
