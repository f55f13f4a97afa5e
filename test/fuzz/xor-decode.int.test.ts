/**
 * Target 3: the XOR chunk decoder (`decodeXorChunk`, `XorChunkIterator`, `xorChunkTimeRange`)
 * on real Prometheus chunks, mutated, and on random bytes; and `fitChunksToWindow`
 * on real series whose chunks or chunk metadata were damaged. Results are compared with the
 * independent BigInt reference decoder in test/helpers.
 */
import fc from 'fast-check';
import t from 'tap';
import type { Chunk, Window } from '../../src/series.ts';
import { XorChunkCorruptError } from '../../src/tsdb/errors.ts';
import { fitChunksToWindow } from '../../src/tsdb/fit-chunks.ts';
import { decodeXorChunk, XorChunkIterator } from '../../src/tsdb/xor-chunk.ts';
import { xorChunkTimeRange } from '../../src/tsdb/xor-chunk-time-range.ts';
import { decodeXorChunk as referenceDecode, type DecodedSample } from '../helpers/reference-xor-decoder.ts';
import { assertTyped, fuzzRuns, mutate, mutationsArb, params, summary } from './fuzz-support.ts';
import { captureRealCorpus } from './real-corpus.ts';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function sameValue(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Object.is(a, b);
}

function reference(data: Uint8Array): DecodedSample[] | Error {
  try {
    return referenceDecode(data);
  } catch (err) {
    return err as Error;
  }
}

/**
 * Checks every entry point on one chunk against each other and against the reference decoder.
 * Returns whether the chunk decoded.
 */
function checkChunk(data: Uint8Array, where: string): boolean {
  let samples;
  try {
    samples = decodeXorChunk(data);
  } catch (err) {
    if (!(err instanceof XorChunkCorruptError)) assertTyped(err, `${where}: decodeXorChunk`);
    if (!(err instanceof XorChunkCorruptError))
      throw new Error(`${where}: decodeXorChunk rejected with ${(err as Error).name}, not XorChunkCorruptError`, {
        cause: err,
      });
    // Every other entry point must reject the same bytes.
    let rangeThrew = false;
    try {
      xorChunkTimeRange(data);
    } catch (e) {
      assertTyped(e, `${where}: xorChunkTimeRange`);
      rangeThrew = true;
    }
    if (!rangeThrew)
      throw new Error(`${where}: xorChunkTimeRange accepted bytes decodeXorChunk rejects`, { cause: err });
    // The reference must not decode it to a valid series (strictly increasing, safe times).
    const ref = reference(data);
    if (!(ref instanceof Error) && ref.every((s, i) => Number.isSafeInteger(s.t) && (i === 0 || s.t > ref[i - 1]!.t))) {
      // Only the leading+significant > 64 case is ours alone to reject (Go would mis-shift).
      if (!/exceed 64/.test((err as Error).message))
        throw new Error(`${where}: rejected (${(err as Error).message}) but the reference decodes it cleanly`, {
          cause: err,
        });
    }
    return false;
  }
  const count = (data[0]! << 8) | data[1]!;
  if (samples.length !== count) throw new Error(`${where}: ${samples.length} samples but the header says ${count}`);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (!Number.isSafeInteger(s.t) || typeof s.v !== 'number')
      throw new Error(`${where}: sample ${i} is not {safe t, number v}`);
    if (i > 0 && s.t <= samples[i - 1]!.t) throw new Error(`${where}: timestamps do not strictly increase at ${i}`);
  }
  const ref = reference(data);
  if (ref instanceof Error) throw new Error(`${where}: decoded, but the reference decoder fails: ${ref.message}`);
  for (let i = 0; i < count; i++) {
    if (ref[i]!.t !== samples[i]!.t || !sameValue(ref[i]!.v, samples[i]!.v))
      throw new Error(`${where}: sample ${i} differs from the reference`);
  }
  // The iterator yields the same, bit for bit.
  const it = new XorChunkIterator(data);
  let n = 0;
  while (it.next()) {
    f64[0] = samples[n]!.v;
    const bitsEqual = (it.valueHi === u32[1] && it.valueLo === u32[0]) || Number.isNaN(samples[n]!.v);
    if (it.t !== samples[n]!.t || !bitsEqual) throw new Error(`${where}: iterator differs at ${n}`);
    n++;
  }
  if (n !== count || it.total !== count) throw new Error(`${where}: iterator yielded ${n} of ${count}`);
  const range = xorChunkTimeRange(data);
  if (range.count !== count || range.minTime !== samples[0]?.t || range.maxTime !== samples[count - 1]?.t) {
    throw new Error(`${where}: xorChunkTimeRange ${JSON.stringify(range)} disagrees with the samples`);
  }
  return true;
}

t.test('XOR decoding under hostile bytes', async (t) => {
  const corpus = await captureRealCorpus(t);
  const chunks = corpus.xorChunks;
  t.ok(chunks.length >= 20, `${chunks.length} real XOR chunks`);
  for (const [i, c] of chunks.entries())
    t.ok(checkChunk(c, `real chunk ${i}`) || false, `real chunk ${i} decodes and agrees with the reference`);

  await t.test('mutated real chunks', async (t) => {
    const counts = { inputs: 0, decoded: 0, rejected: 0 };
    const started = Date.now();
    fc.assert(
      fc.property(fc.nat(), mutationsArb(4), (which, mutations) => {
        counts.inputs++;
        const data = mutate(chunks[which % chunks.length]!, mutations, chunks);
        if (checkChunk(data, 'mutated chunk')) counts.decoded++;
        else counts.rejected++;
      }),
      params(fuzzRuns(100_000), 0x5eed0201),
    );
    t.ok(counts.decoded > 0 && counts.rejected > 0, 'both outcomes occur');
    t.pass(summary('mutated XOR chunks', counts, started));
  });

  await t.test('random chunk bytes', async (t) => {
    const counts = { inputs: 0, decoded: 0, rejected: 0 };
    const started = Date.now();
    // A small sample count in front, so the bit stream is read rather than rejected at once.
    const chunkBytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .tuple(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 200 }))
        .map(([n, rest]) => Uint8Array.from([0, n, ...rest])),
    );
    fc.assert(
      fc.property(chunkBytes, (data) => {
        counts.inputs++;
        if (checkChunk(data, 'random chunk')) counts.decoded++;
        else counts.rejected++;
      }),
      params(fuzzRuns(20_000), 0x5eed0202),
    );
    t.pass(summary('random XOR chunks', counts, started));
  });

  await t.test('fitChunksToWindow on damaged real series', async (t) => {
    const series = corpus.seriesChunks.filter((s) => s.length > 0 && s.every((c) => c.encoding === 1));
    const counts = { inputs: 0, fitted: 0, rejected: 0, histogramTrusted: 0 };
    const started = Date.now();
    const damage = fc.record({
      target: fc.nat(),
      what: fc.constantFrom('data', 'data', 'minTime', 'maxTime', 'encoding', 'swap', 'drop', 'none'),
      delta: fc.oneof(
        fc.integer({ min: -100_000, max: 100_000 }),
        fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 2 ** 63, NaN),
      ),
      mutations: mutationsArb(3),
    });
    const windowArb = fc.record({
      from: fc.double({ min: -0.2, max: 1.2, noNaN: true }),
      span: fc.double({ min: 0.001, max: 1.5, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.nat(), damage, windowArb, (which, d, w) => {
        counts.inputs++;
        const original = series[which % series.length]!;
        const input: Chunk[] = original.map((c) => ({ ...c }));
        const k = d.target % input.length;
        const c = input[k]!;
        if (d.what === 'data') c.data = mutate(c.data, d.mutations, corpus.xorChunks);
        else if (d.what === 'minTime') c.minTime += d.delta;
        else if (d.what === 'maxTime') c.maxTime += d.delta;
        else if (d.what === 'encoding') c.encoding = d.delta & 0xff;
        else if (d.what === 'swap' && input.length > 1)
          [input[k], input[(k + 1) % input.length]] = [input[(k + 1) % input.length]!, input[k]!];
        else if (d.what === 'drop') input.splice(k, 1);
        const lo = original[0]!.minTime;
        const hi = original[original.length - 1]!.maxTime;
        const spanAll = Math.max(1, hi - lo);
        const start = Math.round(lo + w.from * spanAll);
        const window: Window = { start, end: start + Math.max(1, Math.round(w.span * spanAll)) };

        let out: readonly Chunk[];
        try {
          out = fitChunksToWindow({ chunks: input }, window);
        } catch (err) {
          assertTyped(err, 'fitChunksToWindow');
          counts.rejected++;
          return;
        }
        counts.fitted++;
        let prevMax = -Infinity;
        for (const [i, o] of out.entries()) {
          const what = `fitted chunk ${i} [${o.minTime}, ${o.maxTime}] of window [${window.start}, ${window.end})`;
          if (!(Number.isSafeInteger(o.minTime) && Number.isSafeInteger(o.maxTime) && o.minTime <= o.maxTime))
            throw new Error(`${what}: bad range`);
          if (o.minTime < window.start || o.maxTime >= window.end) throw new Error(`${what}: outside the window`);
          if (o.minTime <= prevMax) throw new Error(`${what}: overlaps or precedes the chunk before`);
          prevMax = o.maxTime;
          if (o.encoding !== 1) {
            // Histogram chunks cannot be decoded yet, so their sent range is trusted: only an
            // input chunk labelled as a histogram, handed through unchanged, may come out.
            if (!input.includes(o) || (o.encoding !== 2 && o.encoding !== 3))
              throw new Error(`${what}: encoding ${o.encoding} was not in the input`);
            counts.histogramTrusted++;
            continue;
          }
          const ref = reference(o.data);
          const exact =
            !(ref instanceof Error) &&
            ref.length > 0 &&
            ref[0]!.t === o.minTime &&
            ref[ref.length - 1]!.t === o.maxTime;
          if (!exact) throw new Error(`${what}: its bytes do not hold exactly [minTime, maxTime]`);
        }
      }),
      params(fuzzRuns(100_000), 0x5eed0203),
    );
    t.ok(counts.fitted > 0 && counts.rejected > 0, 'both outcomes occur');
    t.pass(summary('fitChunksToWindow', counts, started));
  });
});
