/**
 * "Never writes a block from bad input", end to end: a fake Prometheus (node:http on 127.0.0.1)
 * answers remote reads with REAL response bytes from Prometheus 2.42, damaged in three ways: bytes
 * of the HTTP body changed (line noise: frame CRCs no longer match), frames dropped, repeated or
 * reordered (CRCs intact), and messages changed with their CRC recomputed (a server that sends
 * bad data in good frames). `shipWindow` reads the window through the real RemoteReadClient into
 * a FileBucket. For every input either the window fails with a typed error and the bucket holds no
 * meta.json for the block, or the block that landed passes `openBlock().verify()`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import t from 'tap';
import { ulid as newUlid } from 'ulidx';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { PromshipError } from '../../src/errors.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import { shipWindow } from '../../src/shipper/ship-window.ts';
import { openBlock } from '../../src/tsdb/block-reader.ts';
import type { Window } from '../../src/series.ts';
import { EXTERNAL } from '../helpers/remote-read-fixture.ts';
import { STREAMED_CONTENT_TYPE, uvarint } from '../helpers/remote-read-wire.ts';
import { tempDir } from '../helpers/tmp.ts';
import { mutate, mutationsArb, params, slowRuns, summary } from './fuzz-support.ts';
import { captureRealCorpus } from './real-corpus.ts';

function frameOf(message: Uint8Array): Buffer {
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32c(message) >>> 0);
  return Buffer.concat([Buffer.from(uvarint(message.length)), crc, message]);
}

/** The window must fail with one of our errors, naming a stable code. */
function assertTypedChain(err: unknown): string {
  if (!(err instanceof PromshipError) || !/^PROMSHIP_[A-Z0-9_]+$/.test(err.code)) {
    throw new Error(`shipWindow rejected with an untyped error: ${(err as Error | null)?.stack ?? String(err)}`);
  }
  // The fake server always sends its whole answer, so a "connection failed" can only be the
  // client wrapping an unexpected exception from the decoders.
  if (err.code === 'PROMSHIP_REMOTE_READ_CONNECT')
    throw new Error(`a decoder fault surfaced as a connection error: ${err.message}`);
  return err.code;
}

t.test('shipWindow never lands a block from bad input', async (t) => {
  const corpus = await captureRealCorpus(t);
  // Several answers: many series with one chunk each, and long series with several closed chunks.
  const targets = corpus.queries.map((q, i) => ({
    window: q.window,
    messages: corpus.messagesByQuery[i]!,
    stream: corpus.streamed[i]!,
  }));
  let serving: Buffer = targets[0]!.stream;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': STREAMED_CONTENT_TYPE });
      res.end(serving);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new RemoteReadClient({ url, timeoutMs: 10_000 });
  t.teardown(() => client.close());

  const dir = await tempDir(t, 'promship-fuzz-ship-');
  const bucketDir = join(dir, 'bucket');
  const bucket = new FileBucket(bucketDir);
  const ship = (ulid: string, window: Window) =>
    shipWindow(
      {
        source: client,
        bucket,
        blocksDir: join(dir, 'scratch'),
        thanosLabels: Object.fromEntries(EXTERNAL),
        stripLabels: EXTERNAL,
        ulid,
      },
      window,
    );

  // The unmutated answer ships and verifies: the harness can tell a good block.
  for (const target of targets) {
    serving = target.stream;
    const baseline = await ship(newUlid(), target.window);
    t.ok(baseline !== null && baseline.series > 0, 'the real answer ships a block');
    const good = await openBlock(join(bucketDir, baseline!.ulid));
    t.ok((await good.verify()).numSamples > 0, 'and it verifies');
    await good.close();
  }

  const modeArb = fc.constantFrom('bytes', 'frames', 'messages');
  const frameOps = fc.array(fc.record({ op: fc.constantFrom('drop', 'repeat', 'swap'), at: fc.nat() }), {
    minLength: 1,
    maxLength: 3,
  });
  const counts = { inputs: 0, landed: 0, rejected: 0, empty: 0 };
  const codes = new Map<string, number>();
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(
      fc.nat(),
      modeArb,
      mutationsArb(4),
      frameOps,
      fc.nat(),
      async (answer, mode, mutations, ops, which) => {
        counts.inputs++;
        const { window, stream, messages } = targets[answer % targets.length]!;
        if (mode === 'bytes') {
          serving = mutate(stream, mutations, corpus.streamed);
        } else if (mode === 'frames') {
          const list = [...messages];
          for (const { op, at } of ops) {
            const k = at % list.length;
            if (op === 'drop' && list.length > 1) list.splice(k, 1);
            else if (op === 'repeat') list.splice(k, 0, list[k]!);
            else if (op === 'swap') [list[k], list[(k + 1) % list.length]] = [list[(k + 1) % list.length]!, list[k]!];
          }
          serving = Buffer.concat(list.map(frameOf));
        } else {
          const k = which % messages.length;
          serving = Buffer.concat(messages.map((m, i) => frameOf(i === k ? mutate(m, mutations, corpus.messages) : m)));
        }
        const ulid = newUlid();
        let shipped;
        try {
          shipped = await ship(ulid, window);
        } catch (err) {
          const code = assertTypedChain(err);
          codes.set(code, (codes.get(code) ?? 0) + 1);
          counts.rejected++;
          const left = await bucket.listObjects(`${ulid}/`);
          if (left.some((o) => o.key.endsWith('meta.json')))
            throw new Error(`window failed (${code}) but ${ulid}/meta.json is in the bucket`, { cause: err });
          return;
        }
        if (shipped === null) {
          counts.empty++;
          if ((await bucket.listObjects(`${ulid}/`)).length > 0)
            throw new Error(`no block was reported, but ${ulid}/ has objects`);
          return;
        }
        counts.landed++;
        const reader = await openBlock(join(bucketDir, ulid));
        try {
          const report = await reader.verify();
          if (report.numSamples !== shipped.samples)
            throw new Error(`the block holds ${report.numSamples} samples, shipWindow reported ${shipped.samples}`);
        } catch (err) {
          const message = (err as Error).message;
          throw new Error(`a block from a ${mode}-mutated answer landed and fails verification: ${message}`, {
            cause: err,
          });
        } finally {
          await reader.close();
        }
      },
    ),
    params(slowRuns(600), 0x5eed0501),
  );
  t.ok(counts.rejected > 0, 'bad answers are refused');
  const scratchLeft = await readdir(join(dir, 'scratch')).catch(() => []);
  t.same(scratchLeft, [], 'no local block directory is left behind');
  t.pass(summary('shipWindow', { ...counts, ...Object.fromEntries(codes) }, started));
});
