/**
 * Recent data still in Prometheus' head (in memory, with an open chunk per series): written with
 * remote write, read back with remote read. The samples must be exactly those written, and the
 * chunks, including the open one whose index entry says maxTime = MaxInt64, come back with their
 * real ranges, trimmed to the window.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import t from 'tap';
import { request } from 'undici';
import { stripExternalLabels } from '../../src/prometheus/external-labels.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import type { Sample, Window } from '../../src/series.ts';
import { startPrometheus } from '../helpers/prometheus.ts';
import { decodeXorChunk } from '../helpers/reference-xor-decoder.ts';
import { readAll, samplesOf } from '../helpers/remote-read-checks.ts';
import { EXTERNAL } from '../helpers/remote-read-fixture.ts';
import { tempDir } from '../helpers/tmp.ts';

const root = protobuf.parse(
  readFileSync(new URL('../../proto/prometheus-remote-read.proto', import.meta.url), 'utf8'),
).root;
// prompb.WriteRequest: `repeated TimeSeries timeseries = 1`; only tests write.
protobuf.parse(
  'syntax = "proto3"; package prometheus; message WriteRequest { repeated TimeSeries timeseries = 1; }',
  root,
);
const WriteRequest = root.lookupType('prometheus.WriteRequest');

const MINUTE = 60_000;

t.test('head data over remote read', async (t) => {
  const dir = await tempDir(t);
  const prometheus = await startPrometheus({
    dataDir: `${dir}/data`,
    externalLabels: Object.fromEntries(EXTERNAL),
    extraArgs: ['--web.enable-remote-write-receiver'],
  });
  t.teardown(() => prometheus.stop());

  const now = Math.floor(Date.now() / 1000) * 1000;
  const written = new Map<string, Sample[]>();
  const timeseries = [];
  for (let k = 0; k < 8; k++) {
    const samples: Sample[] = [];
    for (let ts = now - 100 * MINUTE + k * 1000; ts < now - MINUTE; ts += 10_000) {
      samples.push({ t: ts, v: (k + 1) * samples.length + 0.5 });
    }
    written.set(`host-${k}`, samples);
    timeseries.push({
      labels: [
        { name: '__name__', value: 'head_value' },
        { name: 'instance', value: `host-${k}` },
      ],
      samples: samples.map((s) => ({ timestamp: s.t, value: s.v })),
    });
  }
  const res = await request(`${prometheus.url}/api/v1/write`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    },
    body: compressSync(WriteRequest.encode(WriteRequest.fromObject({ timeseries })).finish()),
  });
  t.equal(res.statusCode, 204, 'remote write accepted');
  await res.body.dump();

  const client = new RemoteReadClient({ url: prometheus.url, timeoutMs: 30_000 });
  t.teardown(() => client.close());
  const windows: [string, Window][] = [
    ['everything, up to the future', { start: now - 2 * 60 * MINUTE, end: now + 60 * MINUTE }],
    ['cutting through chunks, open chunk included', { start: now - 61 * MINUTE - 333, end: now + 1 }],
    ['cutting through chunks at both ends', { start: now - 77 * MINUTE + 4_321, end: now - 13 * MINUTE - 7 }],
  ];
  for (const [name, window] of windows) {
    await t.test(name, async (t) => {
      const series = await readAll(client, window);
      t.equal(series.length, written.size, 'every series');
      for (const s of series) {
        const stored = stripExternalLabels(s.labels, EXTERNAL);
        const instance = stored.find((l) => l[0] === 'instance')![1];
        const want = written.get(instance)!.filter((x) => x.t >= window.start && x.t < window.end);
        t.same(samplesOf(s), want, `${instance}: exactly the written samples in the window`);
        for (const c of s.chunks) {
          const samples = decodeXorChunk(c.data);
          t.ok(Number.isSafeInteger(c.maxTime), `${instance}: a real maxTime (${c.maxTime})`);
          t.equal(c.minTime, samples[0]!.t, `${instance}: minTime is the first sample`);
          t.equal(c.maxTime, samples[samples.length - 1]!.t, `${instance}: maxTime is the last sample`);
          t.ok(c.minTime >= window.start && c.maxTime < window.end, `${instance}: inside the window`);
        }
      }
    });
  }
});
