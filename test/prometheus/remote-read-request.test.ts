/**
 * What goes over the wire: the request bytes against a hand-assembled ReadRequest (field numbers
 * from prompb/remote.proto and types.proto), snappy block compression, and the protocol headers.
 */
import t from 'tap';
import { uncompressSync } from 'snappy';
import { encodeReadRequest } from '../../src/prometheus/read-request.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
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
