/**
 * A bad remote-read answer for one window fails that window alone: a typed error naming the
 * window and the cause, nothing of it in the bucket, every other window shipped, exit code 1;
 * and the next run ships it once Prometheus answers properly again.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { copyBlocks, firstDifference, readMeta } from '../helpers/blocks.ts';
import { logLines, runCli } from '../helpers/cli.ts';
import { listBlockDirs, promtoolDump } from '../helpers/prometheus.ts';
import { H, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

type Fault = 'garbage' | 'crc' | 'oversized-frame' | 'truncated' | 'error-text' | 'http-500' | 'http-400' | 'reset';

const expectedCode: Record<Fault, RegExp> = {
  garbage: /^PROMSHIP_REMOTE_READ_(FRAME_TOO_LARGE|FRAME_CRC|STREAM_ERROR|TRUNCATED|DECODE)$/,
  crc: /^PROMSHIP_REMOTE_READ_FRAME_CRC$/,
  'oversized-frame': /^PROMSHIP_REMOTE_READ_FRAME_TOO_LARGE$/,
  truncated: /^PROMSHIP_REMOTE_READ_TRUNCATED$/,
  'error-text': /^PROMSHIP_REMOTE_READ_STREAM_ERROR$/,
  'http-500': /^PROMSHIP_REMOTE_READ_HTTP$/,
  'http-400': /^PROMSHIP_REMOTE_READ_HTTP$/,
  reset: /^PROMSHIP_REMOTE_READ_(CONNECT|TRUNCATED)$/,
};

/**
 * Forwards to Prometheus, spoiling the answers to the `nth` remote read while `fault` is set: to
 * it, and to every read of the same window after it (the client sends a request once more when its
 * connection was reset before any answer), unless `once` is set.
 */
async function faultyProxy(target: string, nth: number) {
  let reads = 0;
  let spoiledBody: Buffer | undefined;
  /** Reads of the spoiled window: the `nth`, and those sent again after it. */
  let windowReads = 0;
  const state: { fault: Fault | undefined; once: boolean } = { fault: undefined, once: false };
  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const up = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 502,
            headers: res.headers as Record<string, string>,
            body: Buffer.concat(parts),
          }),
        );
        res.on('error', reject);
      });
      up.on('error', reject);
      up.end(body);
    });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    // Nothing awaits a request handler: a rejection here ends the test file, as it did before.
    req.on(
      'end',
      () =>
        void (async () => {
          const isRead = req.method === 'POST' && req.url === '/api/v1/read';
          const request = Buffer.concat(parts);
          if (isRead && ++reads === nth) spoiledBody = request;
          const sameWindow = isRead && spoiledBody !== undefined && request.equals(spoiledBody);
          if (sameWindow) windowReads++;
          const spoil = isRead && (reads === nth || (sameWindow && !state.once)) ? state.fault : undefined;
          const up = await forward(req, request);
          if (!spoil) {
            res.writeHead(up.status, up.headers);
            res.end(up.body);
            return;
          }
          const streamed = { 'content-type': up.headers['content-type']! };
          const body = up.body;
          switch (spoil) {
            case 'garbage':
              res.writeHead(200, streamed);
              res.end(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff)));
              return;
            case 'crc': {
              const copy = Buffer.from(body);
              copy[20] = copy[20]! ^ 0x55; // inside the first frame's message, after its length and CRC
              res.writeHead(200, streamed);
              res.end(copy);
              return;
            }
            case 'oversized-frame':
              res.writeHead(200, streamed);
              res.end(Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), body.subarray(0, 64)]));
              return;
            case 'truncated':
              res.writeHead(200, streamed);
              res.end(body.subarray(0, Math.floor(body.length / 2)));
              return;
            case 'error-text':
              // What Prometheus does when a query fails after the 200 status went out.
              res.writeHead(200, streamed);
              res.end(
                Buffer.concat([
                  body.subarray(0, frameEnd(body)),
                  Buffer.from('expanding series: context deadline exceeded\n'),
                ]),
              );
              return;
            case 'http-500':
              res.writeHead(500, { 'content-type': 'text/plain' });
              res.end('internal error: storage is on fire\n');
              return;
            case 'http-400':
              res.writeHead(400, { 'content-type': 'text/plain' });
              res.end('bad request\n');
              return;
            case 'reset':
              req.socket.destroy();
              return;
          }
        })(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    windowReads: () => windowReads,
    resetCount: () => {
      reads = 0;
      windowReads = 0;
      spoiledBody = undefined;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The end of the first frame of a streamed body: uvarint length + 4-byte CRC + message. */
function frameEnd(body: Buffer): number {
  let len = 0;
  let shift = 0;
  let i = 0;
  for (;;) {
    const b = body[i++]!;
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return i + 4 + len;
}

t.test('a bad answer for one window fails that window only, and it ships once Prometheus recovers', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir);
  const windows = [...source.windowsWithData(2 * H)].sort((a, b) => a - b);
  t.equal(windows.length, 3);
  // Windows are read oldest first, starting at the oldest data: the 2nd read is the middle window.
  const proxy = await faultyProxy(source.prometheus.url, 2);
  t.teardown(() => proxy.close());
  const badWindow = windows[1]!;

  for (const fault of Object.keys(expectedCode) as Fault[]) {
    await t.test(fault, async (t) => {
      const bucket = join(dir, `bucket-${fault}`);
      const env = {
        PROMSHIP_PROMETHEUS_URL: proxy.url,
        PROMSHIP_BUCKET: `file://${bucket}`,
        PROMSHIP_DATA_DIR: join(dir, `data-${fault}`),
        PROMSHIP_MAX_BACKFILL: '1d',
        PROMSHIP_PROMETHEUS_TIMEOUT: '5s',
      };
      proxy.state.fault = fault;
      proxy.resetCount();
      const run = await runCli(['once'], env);
      t.equal(run.code, 1, 'exit code 1: a window failed');
      const failed = logLines(run.stdout).filter((l) => l.msg === 'window failed');
      t.equal(failed.length, 1, 'exactly one window failed');
      const line = failed[0] ?? {};
      t.match(String(line.code), expectedCode[fault], `typed error code (${String(line.code)})`);
      t.match(String(line.window), new Date(badWindow).toISOString(), 'the log names the window');
      t.match(
        String(line.err),
        new RegExp(`Remote read of window .*${new Date(badWindow).toISOString()}`),
        'the error names the window',
      );
      // Only a reset before any answer is sent again; a bad answer fails the window at once.
      t.equal(proxy.windowReads(), fault === 'reset' ? 2 : 1, 'the window was read as often as it should be');

      const ids = await listBlockDirs(bucket);
      t.equal(ids.length, 2, 'the other two windows shipped');
      for (const id of ids) {
        const meta = await readMeta(join(bucket, id));
        t.not(meta.minTime - (meta.minTime % (2 * H)), badWindow, 'no block for the failed window');
      }

      proxy.state.fault = undefined;
      proxy.resetCount();
      const again = await runCli(['once'], env);
      t.equal(again.code, 0, 'the next run succeeds');
      t.equal(
        logLines(again.stdout).filter((l) => l.msg === 'shipped block').length,
        1,
        'and ships just the failed window',
      );
      const copy = join(dir, `copy-${fault}`);
      await copyBlocks(bucket, copy);
      t.equal(firstDifference(source.dump, await promtoolDump(copy)), undefined, 'all data shipped exactly once');
    });
  }

  await t.test('a single reset before any answer: the read is sent again and every window ships', async (t) => {
    const bucket = join(dir, 'bucket-reset-once');
    proxy.state.fault = 'reset';
    proxy.state.once = true;
    proxy.resetCount();
    const run = await runCli(['once'], {
      PROMSHIP_PROMETHEUS_URL: proxy.url,
      PROMSHIP_BUCKET: `file://${bucket}`,
      PROMSHIP_DATA_DIR: join(dir, 'data-reset-once'),
      PROMSHIP_MAX_BACKFILL: '1d',
      PROMSHIP_PROMETHEUS_TIMEOUT: '5s',
    });
    t.equal(run.code, 0, 'exit code 0');
    t.equal(logLines(run.stdout).filter((l) => l.msg === 'window failed').length, 0, 'no window failed');
    t.equal(proxy.windowReads(), 2, 'the reset read was sent once more');
    const copy = join(dir, 'copy-reset-once');
    await copyBlocks(bucket, copy);
    t.equal(firstDifference(source.dump, await promtoolDump(copy)), undefined, 'all data shipped exactly once');
  });
});
