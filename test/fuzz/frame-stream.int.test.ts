/**
 * Target 1: the streamed remote-read path (`StreamedSeries`, fed as remote read feeds it) on real Prometheus
 * response bodies, mutated and cut at random network-chunk boundaries, and on random bytes. It
 * either yields well-formed series or fails with a typed error; splitting never changes the result.
 */
import fc from 'fast-check';
import t from 'tap';
import type { SeriesChunks } from '../../src/series.ts';
import { seriesOfPieces } from '../helpers/streamed-pieces.ts';
import { checkSeriesList } from './check-series.ts';
import { assertTyped, fuzzRuns, cutsArb, mutate, mutationsArb, params, splitAt, summary } from './fuzz-support.ts';
import { captureRealCorpus } from './real-corpus.ts';

async function decode(parts: readonly Uint8Array[]): Promise<SeriesChunks[]> {
  return seriesOfPieces(parts);
}

/** Runs the decoder; returns 'ok' or 'rejected', and throws (failing the property) otherwise. */
async function outcome(parts: readonly Uint8Array[], where: string): Promise<'ok' | 'rejected'> {
  let series: SeriesChunks[];
  try {
    series = await decode(parts);
  } catch (err) {
    assertTyped(err, where);
    return 'rejected';
  }
  checkSeriesList(series, where);
  return 'ok';
}

function comparable(series: readonly SeriesChunks[]): unknown {
  return series.map((s) => ({
    labels: s.labels,
    chunks: s.chunks.map((c) => ({ ...c, data: Buffer.from(c.data).toString('base64') })),
  }));
}

t.test('streamed remote read under hostile bytes', async (t) => {
  const corpus = await captureRealCorpus(t);
  const streams = corpus.streamed;
  t.ok(
    corpus.messages.length > streams.length,
    `${corpus.messages.length} real frames in ${streams.length} real streams`,
  );

  await t.test('a real stream cut anywhere decodes exactly as the whole stream', async (t) => {
    const whole = await Promise.all(streams.map((s) => decode([s])));
    const started = Date.now();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(), cutsArb, async (which, cuts) => {
        runs++;
        const i = which % streams.length;
        const got = await decode(splitAt(streams[i]!, cuts));
        if (JSON.stringify(comparable(got)) !== JSON.stringify(comparable(whole[i]!))) {
          throw new Error(`stream ${i} cut at ${cuts.join(',')} decoded differently`);
        }
      }),
      params(fuzzRuns(5_000), 0x5eed0001),
    );
    t.pass(summary('cut real streams', { inputs: runs }, started));
  });

  await t.test('mutated real streams: well-formed series or a typed error', async (t) => {
    const counts = { inputs: 0, ok: 0, rejected: 0 };
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutationsArb(), cutsArb, async (which, mutations, cuts) => {
        counts.inputs++;
        const bytes = mutate(streams[which % streams.length]!, mutations, streams);
        counts[await outcome(splitAt(bytes, cuts), 'mutated stream')]++;
      }),
      params(fuzzRuns(100_000), 0x5eed0002),
    );
    t.ok(counts.rejected > counts.inputs / 2, 'most mutations are caught');
    t.pass(summary('mutated streams', counts, started));
  });

  await t.test('random bytes: well-formed series or a typed error', async (t) => {
    const counts = { inputs: 0, ok: 0, rejected: 0 };
    const started = Date.now();
    const randomBody = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      // A valid-looking header in front of random bytes gets past the first check.
      fc
        .tuple(fc.uint8Array({ minLength: 1, maxLength: 5 }), fc.uint8Array({ maxLength: 600 }))
        .map(([h, rest]) => Buffer.concat([h, rest])),
    );
    await fc.assert(
      fc.asyncProperty(randomBody, cutsArb, async (bytes, cuts) => {
        counts.inputs++;
        counts[await outcome(splitAt(bytes, cuts), 'random bytes')]++;
      }),
      params(fuzzRuns(10_000), 0x5eed0003),
    );
    t.pass(summary('random streams', counts, started));
  });
});
