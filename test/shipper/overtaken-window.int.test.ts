/**
 * A window that keeps failing while later windows ship leaves a hole, and Thanos' compactor
 * compacts a full range even with a hole in it. Once a compacted block spans the window, shipping
 * it would overlap that block and halt the compactor: the window can no longer be shipped, and
 * promship must say so loudly instead of quietly forgetting the failure, whether the window's
 * last attempt failed or was cut short (a run killed while shipping it, e.g. out of memory).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { pino } from 'pino';
import { ulid } from 'ulidx';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import type { Window } from '../../src/series.ts';
import { Ledger } from '../../src/shipper/ledger.ts';
import { Shipper } from '../../src/shipper/shipper.ts';
import { H, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

for (const how of ['failed', 'interrupted'] as const) {
  t.test(`a window ${how} and spanned later by a compacted block is reported as lost, not forgotten`, async (t) => {
    const dir = await tempDir(t);
    const source = await startSource(t, dir, { windows: 4 });
    const client = new RemoteReadClient({ url: source.prometheus.url, timeoutMs: 30_000 });
    t.teardown(() => client.close());
    const windows = [...source.windowsWithData(2 * H)].sort((a, b) => a - b);
    const broken = windows[1]!;
    // Prometheus fails this one window's reads; the others are read for real.
    const reader = {
      read(w: Window, opts?: { signal?: AbortSignal }) {
        if (how === 'failed' && w.start === broken) throw new Error('injected: remote read failed for this window');
        return client.read(w, opts);
      },
    };
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    );
    const bucketDir = join(dir, 'bucket');
    const shipper = new Shipper({
      source: reader,
      bucket: new FileBucket(bucketDir),
      dataDir: join(dir, 'data'),
      clusterId: source.external.cluster_id!,
      thanosLabels: source.external,
      stripLabels: Object.entries(source.external).sort(([a], [b]) => (a < b ? -1 : 1)),
      blockDurationMs: 2 * H,
      shipDelayMs: 0,
      maxBackfillMs: 86_400_000,
      logger,
    });

    if (how === 'interrupted') {
      // The ledger as a run killed while shipping the window leaves it: a claim still standing,
      // waiting out its backoff, which the next run honours.
      const { ledger } = await Ledger.load(new FileBucket(bucketDir), source.external.cluster_id!, source.external);
      ledger.set({
        start: broken,
        end: broken + 2 * H,
        state: 'claimed',
        ulid: ulid(),
        claimedAt: Date.now(),
        attempts: 2,
        lastError: 'injected: out of memory',
        nextRetryAt: Date.now() + H,
      });
      await ledger.save(Date.now());
    }
    const first = await shipper.runOnce();
    if (how === 'failed')
      t.same(
        first.failed.map((f) => f.window.start),
        [broken],
        'the broken window failed',
      );
    else
      t.same(
        first.retrying.map((e) => e.start),
        [broken],
        'the interrupted window waits for its retry',
      );
    t.equal(first.shipped.length, windows.length - 1, 'every other window shipped');

    // The compactor, later: the blocks around the hole become one level-2 block spanning it.
    const around = first.shipped
      .filter((b) => b.window.start < broken + 4 * H)
      .sort((a, b) => a.window.start - b.window.start);
    const metaOf = async (ulid: string): Promise<Record<string, unknown> & { minTime: number; maxTime: number }> =>
      JSON.parse(await readFile(join(bucketDir, ulid, 'meta.json'), 'utf8')) as Record<string, unknown> & {
        minTime: number;
        maxTime: number;
      };
    const firstMeta = await metaOf(around[0]!.ulid);
    const compacted = '01JD0000000000000000000C02';
    await mkdir(join(bucketDir, compacted, 'chunks'), { recursive: true });
    for (const rel of ['index', 'chunks/000001'])
      await writeFile(join(bucketDir, compacted, rel), await readFile(join(bucketDir, around[0]!.ulid, rel)));
    await writeFile(
      join(bucketDir, compacted, 'meta.json'),
      JSON.stringify({
        ...firstMeta,
        ulid: compacted,
        maxTime: (await metaOf(around.at(-1)!.ulid)).maxTime,
        compaction: { level: 2, sources: around.map((b) => b.ulid) },
      }),
    );
    for (const b of around) await rm(join(bucketDir, b.ulid), { recursive: true });

    lines.length = 0;
    const second = await shipper.runOnce({ ignoreBackoff: true });
    t.same(second.shipped, [], 'nothing is shipped into the compacted block');
    const lost = lines.filter((l) => l.code === 'PROMSHIP_WINDOW_OVERTAKEN');
    t.equal(lost.length, 1, 'one error line says the window is lost');
    t.equal(second.overtaken, 1, 'and the run counts it, for promship_windows_overtaken_total');
    t.equal(lost[0]?.level, 50, 'at error level');
    t.equal(lost[0]?.block, compacted, 'naming the compacted block');
    t.match(
      lost[0]?.lastError,
      how === 'failed' ? /injected: remote read failed/ : /injected: out of memory/,
      'and why it failed',
    );
    const stored = JSON.parse(await readFile(join(bucketDir, 'promship', 'cluster-two', 'ledger.json'), 'utf8')) as {
      windows: { start: number }[];
    };
    t.notOk(
      stored.windows.some((w) => w.start === broken),
      'the ledger no longer retries it',
    );
  });
}
