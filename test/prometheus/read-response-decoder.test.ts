/**
 * The hand-walked SAMPLES decoder against protobufjs' encoder of the same messages, on the values
 * real responses can hold: zero fields (omitted on the wire), negative and large timestamps,
 * special floats, unknown fields, histograms.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import t from 'tap';
import { decodeReadResponse } from '../../src/prometheus/read-response-decoder.ts';

const root = protobuf.parse(
  readFileSync(new URL('../../proto/prometheus-remote-read.proto', import.meta.url), 'utf8'),
).root;
const ReadResponse = root.lookupType('prometheus.ReadResponse');

function encode(object: Record<string, unknown>): Uint8Array {
  return ReadResponse.encode(ReadResponse.fromObject(object)).finish();
}

t.test('samples, labels and odd values survive', async (t) => {
  const timestamps = [0, 1, -1, -1_700_000_000_000, 1_700_000_000_123, 2 ** 49, 2 ** 53 - 1, -(2 ** 53) + 1];
  const values = [0, -0, 1.5, -2.25, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity];
  const bytes = encode({
    results: [
      {
        timeseries: [
          {
            labels: [
              { name: '__name__', value: 'x' },
              { name: 'emoji', value: '\u{1F600}' },
              { name: 'empty', value: '' },
            ],
            samples: timestamps.map((ts, i) => ({ timestamp: ts, value: values[i] })),
          },
          { labels: [{ name: '__name__', value: 'nan' }], samples: [{ timestamp: 5, value: NaN }] },
        ],
      },
    ],
  });
  const [result] = decodeReadResponse(bytes);
  t.equal(result!.length, 2);
  t.same(result![0]!.labels, [
    { name: '__name__', value: 'x' },
    { name: 'emoji', value: '\u{1F600}' },
    { name: 'empty', value: '' },
  ]);
  t.same(
    result![0]!.samples.map((s) => s.t),
    timestamps,
  );
  result![0]!.samples.forEach((s, i) => t.ok(Object.is(s.v, values[i]), `value ${values[i]}`));
  t.ok(Number.isNaN(result![1]!.samples[0]!.v), 'NaN');
  t.equal(result![0]!.histograms, 0);
});

t.test('histograms are counted, unknown fields skipped', async (t) => {
  const base = encode({
    results: [
      {
        timeseries: [
          {
            labels: [{ name: '__name__', value: 'h' }],
            samples: [{ timestamp: 7, value: 1 }],
            histograms: [Uint8Array.of(0x08, 0x01)],
          },
        ],
      },
    ],
  });
  // Append an exemplar-like unknown field (3, length-delimited) inside the TimeSeries and a
  // varint field 9 at top level, then fix the enclosing lengths by re-encoding by hand.
  const [result] = decodeReadResponse(base);
  t.equal(result![0]!.histograms, 1);
  t.same(result![0]!.samples, [{ t: 7, v: 1 }]);
  const series = Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x61, 0x1a, 0x02, 0x10, 0x01, 0x12, 0x02, 0x10, 0x09]);
  const query = Buffer.concat([Buffer.from([0x0a, series.length]), series]);
  const response = Buffer.concat([Buffer.from([0x0a, query.length]), query, Buffer.from([0x48, 0x05])]);
  const [r2] = decodeReadResponse(response);
  t.same(r2, [{ labels: [{ name: 'a', value: '' }], samples: [{ t: 9, v: 0 }], histograms: 0 }]);
});

t.test('truncated or overrunning input is a decode error', async (t) => {
  const good = encode({
    results: [{ timeseries: [{ labels: [{ name: '__name__', value: 'x' }], samples: [{ timestamp: 1, value: 2 }] }] }],
  });
  for (const bad of [good.subarray(0, good.length - 3), Buffer.from([0x0a, 0x05, 0x0a, 0x09, 0x00])]) {
    t.throws(() => decodeReadResponse(bad), { name: 'ReadFault', code: 'PROMSHIP_REMOTE_READ_DECODE' });
  }
});
