/**
 * Does Prometheus 2.42 trim chunks that only partly overlap the requested range? The block writer
 * depends on the answer. Finding: yes. Such a chunk comes back re-encoded with only the samples
 * inside the closed range [start, end], so every chunk's minTime/maxTime lie inside the window.
 */
import t from 'tap';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import type { Window } from '../../src/series.ts';
import { decodeXorChunk } from '../helpers/reference-xor-decoder.ts';
import { byStoredLabels, readAll, samplesOf } from '../helpers/remote-read-checks.ts';
import { HOUR, labelsKey, startFixture, T0 } from '../helpers/remote-read-fixture.ts';

t.test('chunks cut by the window come back trimmed to it', async (t) => {
  const fixture = await startFixture(t);
  const client = new RemoteReadClient({ url: fixture.prometheus.url, timeoutMs: 30_000 });
  t.teardown(() => client.close());

  // The stored chunks, as a whole-block read returns them untouched.
  const block: Window = { start: T0 + 2 * HOUR, end: T0 + 4 * HOUR };
  const stored = byStoredLabels(await readAll(client, block));
  const key = labelsKey([['__name__', 'a']]);
  const storedChunks = stored.get(key)!.chunks;
  t.ok(storedChunks.length >= 3, `series a has ${storedChunks.length} stored chunks in the block`);
  const cutStart = storedChunks[1]!;
  const cutEnd = storedChunks[storedChunks.length - 2]!;
  // A window whose edges fall strictly inside two stored chunks.
  const window: Window = {
    start: cutStart.minTime + Math.floor((cutStart.maxTime - cutStart.minTime) / 2) + 1,
    end: cutEnd.minTime + Math.floor((cutEnd.maxTime - cutEnd.minTime) / 3),
  };
  t.ok(window.start > cutStart.minTime && window.start <= cutStart.maxTime, 'the start cuts a stored chunk');
  t.ok(window.end > cutEnd.minTime && window.end <= cutEnd.maxTime, 'the end cuts a stored chunk');

  const [series, truth] = await Promise.all([readAll(client, window), fixture.truth(window)]);
  const got = byStoredLabels(series);
  t.same([...got.keys()].sort(), [...truth.keys()].sort(), 'the same series as promtool');
  for (const [k, want] of truth) {
    const s = got.get(k)!;
    t.same(samplesOf(s), want.samples, `${k}: exactly the samples in the window`);
    for (const c of s.chunks) {
      const samples = decodeXorChunk(c.data);
      t.ok(c.minTime >= window.start && c.maxTime <= window.end - 1, `${k}: chunk [${c.minTime}, ${c.maxTime}] inside`);
      t.equal(c.minTime, samples[0]!.t, `${k}: minTime is the first sample`);
      t.equal(c.maxTime, samples[samples.length - 1]!.t, `${k}: maxTime is the last sample`);
    }
  }
  const first = got.get(key)!.chunks[0]!;
  t.not(first.data.length, cutStart.data.length, 'the cut chunk was re-encoded, not passed through');
});
