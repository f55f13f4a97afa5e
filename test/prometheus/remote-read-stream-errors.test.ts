/**
 * Broken streamed responses, served by a fake Prometheus: each read fails with its own code, and
 * the message names the window.
 */
import t from 'tap';
import { RemoteReadError } from '../../src/prometheus/errors.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import type { SeriesChunks, Window } from '../../src/series.ts';
import {
  chunkedReadResponse,
  frame,
  startFakeServer,
  streamed,
  type Checks,
  type RecordedRequest,
} from '../helpers/remote-read-wire.ts';
import type { ServerResponse } from 'node:http';

const WINDOW: Window = { start: Date.UTC(2024, 0, 2, 4), end: Date.UTC(2024, 0, 2, 6) };
const WINDOW_TEXT = '2024-01-02T04:00:00.000Z–2024-01-02T06:00:00.000Z';

const goodFrame = frame(
  chunkedReadResponse([
    {
      labels: [
        ['__name__', 'up'],
        ['job', 'x'],
      ],
      chunks: [{ minTime: WINDOW.start, maxTime: WINDOW.start + 1000, type: 1, data: Uint8Array.of(0, 1, 2, 3) }],
    },
  ]),
);

async function readAll(url: string, opts: { maxFrameBytes?: number } = {}): Promise<SeriesChunks[]> {
  const client = new RemoteReadClient({ url, timeoutMs: 5000, ...opts });
  try {
    const out: SeriesChunks[] = [];
    for await (const s of client.read(WINDOW)) out.push(s);
    return out;
  } finally {
    await client.close();
  }
}

async function expectFailure(
  t: Checks,
  handle: (req: RecordedRequest, res: ServerResponse) => void,
  code: string,
  pattern: RegExp,
  opts: { maxFrameBytes?: number } = {},
): Promise<void> {
  const server = await startFakeServer(t, handle);
  const err: unknown = await readAll(server.url, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof RemoteReadError, 'a RemoteReadError');
  const e = err as RemoteReadError;
  t.equal(e.code, code, 'code');
  t.match(e.message, WINDOW_TEXT, 'names the window');
  t.match(e.message, pattern, 'says what went wrong');
  t.same(e.window, WINDOW, 'carries the window');
}

t.test('the valid frame alone reads fine (control)', async (t) => {
  const server = await startFakeServer(t, streamed([goodFrame]));
  const series = await readAll(server.url);
  t.equal(series.length, 1);
  t.same(series[0]!.labels, [
    ['__name__', 'up'],
    ['job', 'x'],
  ]);
  t.same([...series[0]!.chunks[0]!.data], [0, 1, 2, 3]);
});

t.test('garbage body', (t) =>
  expectFailure(
    t,
    streamed([Buffer.from([0x03, 0x00, 0x01, 0x02, 0x03, 0xff, 0xfe, 0xfd])]),
    'PROMSHIP_REMOTE_READ_FRAME_CRC',
    /CRC32C/,
  ),
);

t.test('truncated stream', (t) =>
  expectFailure(
    t,
    streamed([goodFrame, goodFrame.subarray(0, goodFrame.length - 3)]),
    'PROMSHIP_REMOTE_READ_TRUNCATED',
    /ended inside a frame/,
  ),
);

t.test('CRC mismatch', (t) => {
  const bad = Buffer.from(goodFrame);
  bad[bad.length - 1]! ^= 0x01;
  return expectFailure(t, streamed([goodFrame, bad]), 'PROMSHIP_REMOTE_READ_FRAME_CRC', /CRC32C/);
});

t.test('oversized frame', (t) =>
  expectFailure(t, streamed([goodFrame]), 'PROMSHIP_REMOTE_READ_FRAME_TOO_LARGE', /more than the limit of 16/, {
    maxFrameBytes: 16,
  }),
);

t.test('error text after valid frames (Prometheus failing mid-stream)', (t) =>
  expectFailure(
    t,
    streamed([goodFrame, goodFrame, Buffer.from('expanding series: read chunk: segment 000004 not found\n')]),
    'PROMSHIP_REMOTE_READ_STREAM_ERROR',
    /"expanding series: read chunk: segment 000004 not found"/,
  ),
);

t.test('a frame whose message is not a ChunkedReadResponse', (t) =>
  expectFailure(
    t,
    streamed([frame(Uint8Array.of(0x0a, 0x10, 0x01))]),
    'PROMSHIP_REMOTE_READ_DECODE',
    /ChunkedReadResponse/,
  ),
);

t.test('a frame answering another query', (t) =>
  expectFailure(t, streamed([frame(chunkedReadResponse([], 3))]), 'PROMSHIP_REMOTE_READ_DECODE', /query 3/),
);

t.test('a response that is no remote-read response', (t) =>
  expectFailure(
    t,
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Please log in</html>');
    },
    'PROMSHIP_REMOTE_READ_CONTENT_TYPE',
    /text\/html.*Please log in/,
  ),
);
