/**
 * With a tiny --storage.remote.read-max-bytes-in-frame, Prometheus spreads one series over many
 * consecutive frames; read() must yield it once with all its chunks.
 */
import t from 'tap';
import { request } from 'undici';
import { compressSync } from 'snappy';
import { encodeReadRequest } from '../../src/prometheus/read-request.ts';
import { decodeChunkedReadResponse } from '../helpers/protobufjs-reference.ts';
import { readFrames } from '../../src/prometheus/frame-reader.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import type { Window } from '../../src/series.ts';
import { byStoredLabels, readAll, samplesOf } from '../helpers/remote-read-checks.ts';
import { HOUR, startFixture, T0 } from '../helpers/remote-read-fixture.ts';

t.test('a series spanning several frames is merged', async (t) => {
  const fixture = await startFixture(t, { extraArgs: ['--storage.remote.read-max-bytes-in-frame=200'] });
  const window: Window = { start: T0 + HOUR, end: T0 + 5 * HOUR };

  // The raw stream, to show that series really are split.
  const res = await request(`${fixture.prometheus.url}/api/v1/read`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-read-version': '0.1.0',
    },
    body: compressSync(
      encodeReadRequest({
        startMs: window.start,
        endMs: window.end - 1,
        matchers: [{ type: 'RE', name: '__name__', value: '.+' }],
        acceptedResponseTypes: ['STREAMED_XOR_CHUNKS'],
      }),
    ),
  });
  const framesPerSeries = new Map<string, number>();
  for await (const f of readFrames(res.body)) {
    for (const s of decodeChunkedReadResponse(f).chunkedSeries) {
      const key = JSON.stringify(s.labels.map((l) => [l.name, l.value]));
      framesPerSeries.set(key, (framesPerSeries.get(key) ?? 0) + 1);
    }
  }
  const split = [...framesPerSeries.values()].filter((n) => n > 1).length;
  t.ok(split > 20, `${split} series arrive in more than one frame (up to ${Math.max(...framesPerSeries.values())})`);

  const client = new RemoteReadClient({ url: fixture.prometheus.url, timeoutMs: 30_000 });
  t.teardown(() => client.close());
  const [series, truth] = await Promise.all([readAll(client, window), fixture.truth(window)]);
  t.equal(series.length, framesPerSeries.size, 'one item per series');
  const got = byStoredLabels(series);
  t.same([...got.keys()].sort(), [...truth.keys()].sort(), 'the same series as promtool');
  for (const [key, want] of truth) {
    t.same(samplesOf(got.get(key)!), want.samples, `${key}: all samples, in order`);
  }
});
