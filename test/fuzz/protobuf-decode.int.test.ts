/**
 * Target 2: protobuf decoding. Real ChunkedReadResponse messages are mutated and handed to the
 * series merger as if their frames had valid CRCs (a buggy or hostile server, not line noise), and
 * real SAMPLES bodies are mutated both before and after snappy. Each input ends in well-formed
 * series or a typed error.
 */
import fc from 'fast-check';
import { compressSync } from 'snappy';
import t from 'tap';
import { compareLabels } from '../../src/labels.ts';
import { ChunkedResponseDecoder } from '../../src/prometheus/chunked-response-decoder.ts';
import { decodeChunkedReadResponse, int64ToNearestNumber } from '../helpers/protobufjs-reference.ts';
import { decodeReadResponse } from '../../src/prometheus/read-response-decoder.ts';
import { seriesFromSampledResponse } from '../../src/prometheus/sampled-series.ts';
import { seriesFromFrames } from '../../src/prometheus/streamed-series.ts';
import type { SeriesChunks } from '../../src/series.ts';
import { checkSeriesList } from './check-series.ts';
import { assertTyped, fuzzRuns, body, mutate, mutationsArb, params, summary } from './fuzz-support.ts';
import { captureRealCorpus } from './real-corpus.ts';

async function streamedOutcome(messages: readonly Uint8Array[], where: string): Promise<'ok' | 'rejected'> {
  const out: SeriesChunks[] = [];
  try {
    for await (const s of seriesFromFrames(body(messages))) out.push(s);
  } catch (err) {
    assertTyped(err, where);
    return 'rejected';
  }
  checkSeriesList(out, where);
  return 'ok';
}

async function sampledOutcome(compressed: Uint8Array, where: string): Promise<'ok' | 'rejected'> {
  let out: SeriesChunks[];
  try {
    out = await seriesFromSampledResponse(compressed);
  } catch (err) {
    assertTyped(err, where);
    return 'rejected';
  }
  checkSeriesList(out, where);
  for (let i = 1; i < out.length; i++) {
    // Equal neighbours are allowed: twins that external labels made equal stay apart.
    if (compareLabels(out[i - 1]!.labels, out[i]!.labels) > 0)
      throw new Error(`${where}: series are not sorted by labels`);
  }
  for (const s of out) {
    if (s.chunks.length !== 0 || s.samples === undefined || s.samples.length === 0)
      throw new Error(`${where}: a SAMPLES series must carry raw samples only`);
  }
  return 'ok';
}

/**
 * The hand decoder against protobufjs as the reference: it may reject what protobufjs lets
 * through (wrong wire types, overrunning nested messages), but what it accepts, protobufjs must
 * accept and decode to the same labels and chunks.
 */
function agreeWithProtobufjs(message: Uint8Array, where: string): void {
  let ours;
  try {
    ours = new ChunkedResponseDecoder().decode(message);
  } catch (err) {
    assertTyped(err, `${where}: ChunkedResponseDecoder`);
    return;
  }
  const ref = decodeChunkedReadResponse(message);
  const refView = {
    queryIndex: int64ToNearestNumber(ref.queryIndex),
    series: ref.chunkedSeries.map((s) => ({
      labels: s.labels.map((l) => [l.name, l.value]),
      chunks: s.chunks.map((c) => [
        int64ToNearestNumber(c.minTimeMs),
        int64ToNearestNumber(c.maxTimeMs),
        c.type,
        Buffer.from((c.data as Uint8Array | undefined) ?? []).toString('hex'),
      ]),
    })),
  };
  const ourView = {
    queryIndex: ours.queryIndex,
    series: ours.series.map((s) => ({
      labels: s.labels.map((l) => [l[0], l[1]]),
      chunks: s.chunks.map((c) => [c.minTime, c.maxTime, c.encoding, Buffer.from(c.data).toString('hex')]),
    })),
  };
  if (JSON.stringify(ourView) !== JSON.stringify(refView)) {
    throw new Error(
      `${where}: the hand decoder and protobufjs disagree: ${JSON.stringify(ourView).slice(0, 300)} vs ${JSON.stringify(refView).slice(0, 300)}`,
    );
  }
}

t.test('protobuf decoding under hostile bytes', async (t) => {
  const corpus = await captureRealCorpus(t);
  const streams = corpus.messagesByQuery;
  const allMessages = corpus.messages;

  await t.test('ChunkedReadResponse: mutated real messages (valid frames)', async (t) => {
    const counts = { inputs: 0, ok: 0, rejected: 0 };
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), mutationsArb(), fc.boolean(), async (which, target, mutations, alone) => {
        counts.inputs++;
        const messages = streams[which % streams.length]!;
        const k = target % messages.length;
        const bad = mutate(messages[k]!, mutations, allMessages);
        // Alone: the decoder on one message; in context: the merger sees its neighbours too.
        const input = alone ? [bad] : messages.map((m, i) => (i === k ? bad : m));
        counts[await streamedOutcome(input, 'mutated ChunkedReadResponse')]++;
        // decodeChunkedReadResponse on its own: a message object or a typed error.
        try {
          const m = decodeChunkedReadResponse(bad);
          if (!Array.isArray(m.chunkedSeries)) throw new Error('chunkedSeries is not an array');
        } catch (err) {
          assertTyped(err, 'decodeChunkedReadResponse');
        }
        agreeWithProtobufjs(bad, 'mutated ChunkedReadResponse');
      }),
      params(fuzzRuns(100_000), 0x5eed0101),
    );
    t.ok(counts.rejected > 0 && counts.ok > 0, 'both outcomes occur');
    t.pass(summary('mutated ChunkedReadResponse', counts, started));
  });

  await t.test('ChunkedReadResponse: random messages', async (t) => {
    const counts = { inputs: 0, ok: 0, rejected: 0 };
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }),
        async (messages) => {
          counts.inputs++;
          counts[await streamedOutcome(messages, 'random ChunkedReadResponse')]++;
          for (const m of messages) agreeWithProtobufjs(m, 'random ChunkedReadResponse');
        },
      ),
      params(fuzzRuns(10_000), 0x5eed0102),
    );
    t.pass(summary('random ChunkedReadResponse', counts, started));
  });

  await t.test('SAMPLES ReadResponse: mutated before and after snappy', async (t) => {
    const counts = { inputs: 0, ok: 0, rejected: 0 };
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutationsArb(), fc.boolean(), async (which, mutations, raw) => {
        counts.inputs++;
        const i = which % corpus.sampled.length;
        const input = raw
          ? compressSync(mutate(corpus.sampledRaw[i]!, mutations, corpus.sampledRaw))
          : mutate(corpus.sampled[i]!, mutations, corpus.sampled);
        counts[await sampledOutcome(input, raw ? 'mutated ReadResponse' : 'mutated snappy body')]++;
        if (raw) {
          // The wire decoder alone: plain data or a typed error.
          try {
            for (const result of decodeReadResponse(mutate(corpus.sampledRaw[i]!, mutations, corpus.sampledRaw))) {
              for (const ts of result) {
                for (const s of ts.samples)
                  if (!Number.isSafeInteger(s.t) || typeof s.v !== 'number') throw new Error('bad sample');
                for (const l of ts.labels)
                  if (typeof l.name !== 'string' || typeof l.value !== 'string') throw new Error('bad label');
              }
            }
          } catch (err) {
            assertTyped(err, 'decodeReadResponse');
          }
        }
      }),
      params(fuzzRuns(50_000), 0x5eed0103),
    );
    t.ok(counts.rejected > 0 && counts.ok > 0, 'both outcomes occur');
    t.pass(summary('mutated SAMPLES', counts, started));
  });

  await t.test('SAMPLES ReadResponse: random bytes, raw and compressed', async (t) => {
    const counts = { inputs: 0, ok: 0, rejected: 0 };
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.boolean(), async (bytes, compress) => {
        counts.inputs++;
        counts[await sampledOutcome(compress ? compressSync(Buffer.from(bytes)) : bytes, 'random SAMPLES')]++;
      }),
      params(fuzzRuns(5_000), 0x5eed0104),
    );
    t.pass(summary('random SAMPLES', counts, started));
  });
});
