/**
 * What goes over the wire: the request bytes against a hand-assembled ReadRequest (field numbers
 * from prompb/remote.proto and types.proto), snappy block compression, and the protocol headers.
 */
import t from 'tap';
import { uncompressSync } from 'snappy';
import {
  encodeReadRequest,
  MatcherType,
  ResponseType,
  type LabelMatcher,
  type MatcherTypeName,
  type ResponseTypeName,
} from '../../src/prometheus/read-request.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import { encodeReadRequestReference } from '../helpers/protobufjs-reference.ts';
import { chunkedReadResponse, frame, startFakeServer, streamed, uvarint } from '../helpers/remote-read-wire.ts';

const START = Date.UTC(2024, 5, 1, 0);
const END = Date.UTC(2024, 5, 1, 2);

function field(n: number, payload: number[]): number[] {
  return [...uvarint((n << 3) | 2), ...uvarint(payload.length), ...payload];
}
const ascii = (s: string): number[] => [...Buffer.from(s)];

/** ReadRequest{queries: [Query{start, end, matchers}], accepted_response_types: packed [types]}. */
function handRequest(startMs: number, endMs: number, matchers: [number, string, string][], types: number[]): Buffer {
  const query = [
    0x08,
    ...uvarint(startMs),
    0x10,
    ...uvarint(endMs),
    ...matchers.flatMap(([type, name, value]) =>
      field(3, [...(type === 0 ? [] : [0x08, type]), ...field(2, ascii(name)), ...field(3, ascii(value))]),
    ),
  ];
  return Buffer.from([...field(1, query), ...field(2, types)]);
}

t.test('a regex matcher is encoded as RE (2), not EQ', async (t) => {
  const bytes = encodeReadRequest({
    startMs: START,
    endMs: END - 1,
    matchers: [
      { type: 'RE', name: '__name__', value: '.+' },
      { type: 'EQ', name: 'job', value: 'node' },
      { type: 'NRE', name: 'mode', value: 'idle|iowait' },
    ],
    acceptedResponseTypes: ['STREAMED_XOR_CHUNKS', 'SAMPLES'],
  });
  const expected = handRequest(
    START,
    END - 1,
    [
      [2, '__name__', '.+'],
      [0, 'job', 'node'],
      [3, 'mode', 'idle|iowait'],
    ],
    [1, 0],
  );
  t.same(Buffer.from(bytes).toString('hex'), expected.toString('hex'));
});

t.test("the request's bytes equal protobufjs' reflection encoder's, for any window, matchers and types", async (t) => {
  // A seeded generator, so a failure names a case that can be run again.
  let seed = 0x9e3779b9;
  const next = (): number => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return seed / 0x1_0000_0000;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const text = (): string => {
    const alphabet = ['', 'a', '_', '.+', 'é', '日本', '\u0000', ';', 'x'.repeat(200)];
    return Array.from({ length: Math.floor(next() * 4) }, () => pick(alphabet)).join('');
  };
  const times = [0, 1, 127, 128, 2 ** 31, 2 ** 32 + 5, START, END - 1, Number.MAX_SAFE_INTEGER, -1, -7_200_000];
  const matcherTypes = Object.keys(MatcherType) as MatcherTypeName[];
  const responseTypes = Object.keys(ResponseType) as ResponseTypeName[];
  for (let i = 0; i < 2000; i++) {
    const matchers: LabelMatcher[] = Array.from({ length: Math.floor(next() * 4) }, () => ({
      type: pick(matcherTypes),
      name: text(),
      value: text(),
    }));
    const init = {
      startMs: pick(times),
      endMs: pick(times),
      matchers,
      acceptedResponseTypes: Array.from({ length: Math.floor(next() * 3) }, () => pick(responseTypes)),
    };
    const ours = Buffer.from(encodeReadRequest(init)).toString('hex');
    const reference = Buffer.from(encodeReadRequestReference(init)).toString('hex');
    if (ours !== reference) {
      t.fail(`case ${i} differs: ${JSON.stringify(init)}`, { ours, reference });
      return;
    }
  }
  t.pass('2,000 requests encoded byte for byte as protobufjs does');
});

t.test('read() sends the window as a closed range, every series, snappy, and the protocol headers', async (t) => {
  const server = await startFakeServer(t, streamed([frame(chunkedReadResponse([]))]));
  const client = new RemoteReadClient({
    url: `${server.url}/prefix/`,
    timeoutMs: 5000,
    headers: { 'X-Scope-OrgID': 'tenant' },
  });
  t.teardown(() => client.close());
  for await (const _ of client.read({ start: START, end: END })) {
    // drain
  }
  const req = server.requests[0]!;
  t.equal(req.method, 'POST');
  t.equal(req.url, '/prefix/api/v1/read');
  t.equal(req.headers['content-type'], 'application/x-protobuf');
  t.equal(req.headers['content-encoding'], 'snappy');
  t.equal(req.headers['x-prometheus-remote-read-version'], '0.1.0');
  t.match(req.headers['user-agent'], /^promship\/\d+\.\d+\.\d+/);
  t.equal(req.headers['x-scope-orgid'], 'tenant');
  const body = uncompressSync(req.body, { asBuffer: true }) as Buffer;
  t.same(body.toString('hex'), handRequest(START, END - 1, [[2, '__name__', '.+']], [1]).toString('hex'));
});

t.test('the SAMPLES override offers only SAMPLES', async (t) => {
  const server = await startFakeServer(t, streamed([frame(chunkedReadResponse([]))]));
  const client = new RemoteReadClient({ url: server.url, timeoutMs: 5000, acceptedResponseTypes: ['SAMPLES'] });
  t.teardown(() => client.close());
  for await (const _ of client.read({ start: START, end: END })) {
    // drain
  }
  const body = uncompressSync(server.requests[0]!.body, { asBuffer: true }) as Buffer;
  t.same(body.toString('hex'), handRequest(START, END - 1, [[2, '__name__', '.+']], [0]).toString('hex'));
});
