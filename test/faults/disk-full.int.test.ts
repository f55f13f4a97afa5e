/**
 * The data directory (scratch space for blocks being built) runs out of space. See
 * test/helpers/full-disk.ts for how: a size-limited tmpfs that is filled up (ENOSPC), or, where
 * mounting is not allowed, a file-size limit on the agent (EFBIG). While it is full every window
 * fails before anything is uploaded; the operator sees why in the logs (a code and "no space"),
 * in the metrics and in the health line and /readyz; the agent keeps running and leaves no
 * half-built files behind. Once space is back, every window ships exactly once, equal to the source.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { inspectBucket } from '../helpers/bucket-inspector.ts';
import { startDaemon } from '../helpers/daemon.ts';
import { agentEnv, BLOCK_MS, checkFailureAccount, isQuietRun, reportResult } from '../helpers/fault-scenario.ts';
import { fullDisk } from '../helpers/full-disk.ts';
import { checkShipped } from '../helpers/shipped-checks.ts';
import { startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

const FULL_CODES = /^PROMSHIP_(DATA_DIR_FULL|TSDB_WRITE)$/;

t.test(
  'the data dir is full: windows fail visibly and build nothing; with space back, every window ships',
  async (t) => {
    const dir = await tempDir(t);
    const source = await startSource(t, dir, { windows: 1 });
    const target = await bucketTarget(t, 'fauxqs', join(dir, 'bucket'));
    const bucket = inspectBucket(t, target);
    const disk = await fullDisk(t);
    t.comment(`out of space by ${disk.mechanism}`);
    const { env, metricsUrl } = await agentEnv(disk.dir, {
      ...target.env,
      ...disk.env,
      PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    });
    const readyz = metricsUrl.replace(/\/metrics$/, '/readyz');

    const started = Date.now();
    const daemon = startDaemon(t, env, disk.command);
    const failing = await daemon.waitForLog(
      (l) => l.msg === 'health' && l.status === 'failing',
      120_000,
      "a 'failing' health line",
    );
    t.ok((failing.failingWindows as unknown[]).length > 0, 'the health line lists the failing windows');
    const failed = daemon.logs.filter((l) => l.msg === 'window failed');
    t.ok(failed.length >= 3, `windows failed (${failed.length})`);
    for (const l of failed) t.match(l.code, FULL_CODES, `window failed with ${String(l.code)}`);
    t.comment(`first failure: ${String(failed[0]!.code)} ${String(failed[0]!.err)}`);
    t.match(
      String(failed[0]!.err),
      disk.mechanism === 'tmpfs' ? /ENOSPC|no space left/i : /EFBIG|file too large/i,
      'the line says the disk is full',
    );
    t.equal(daemon.logs.filter((l) => l.msg === 'shipped block').length, 0, 'nothing shipped while the disk is full');
    const ready = await fetch(readyz);
    t.equal(ready.status, 503, `/readyz is 503 while runs fail (${(await ready.text()).slice(0, 200)})`);
    const during = await bucket.snapshot();
    t.same(
      { blocks: during.blocks.length },
      { blocks: 0 },
      'no block and no partial upload: a window that cannot be built uploads nothing',
    );
    // Runs go on every second, so a block may be under construction at any moment: watch for a
    // while. Failed windows must not pile up half-built blocks on the full disk.
    let most = 0;
    let emptySeen = false;
    // At least 3 s, and on a busy machine on until a moment between two windows is seen.
    const from = Date.now();
    for (
      ;
      Date.now() < from + 3000 || (!emptySeen && Date.now() < from + 30_000);
      await new Promise((r) => setTimeout(r, 10))
    ) {
      const entries = await readdir(join(disk.dir, 'blocks')).catch(() => [] as string[]);
      most = Math.max(most, entries.length);
      emptySeen ||= entries.length === 0;
    }
    t.ok(most <= 1 && emptySeen, `no half-built block is left behind (at most ${most} in the making at once)`);

    await disk.free(daemon.child.pid!);
    const freed = Date.now();
    await daemon.waitForLog(isQuietRun, 300_000, 'a run with nothing left to ship');
    const recoveryMs = Date.now() - freed;
    const account = await checkFailureAccount(t, daemon, metricsUrl, FULL_CODES);
    daemon.signal('SIGTERM');
    t.equal(await daemon.exited, 0, 'the agent stops cleanly');

    const { snap, ours } = await checkShipped(t, bucket, source, { blockMs: BLOCK_MS, dir });
    await reportResult(t, 'disk-full', {
      mechanism: disk.mechanism,
      windowsWithData: source.windowsWithData(BLOCK_MS).size,
      blocks: ours.length,
      partialUploadsLeft: snap.partial.length,
      overlaps: ours.filter((m, i) => i > 0 && m.minTime < ours[i - 1]!.maxTime).length,
      windowFailures: account.windowFailures,
      runFailures: account.runFailures,
      secondsFull: Math.round((freed - started) / 100) / 10,
      recoverySeconds: Math.round(recoveryMs / 100) / 10,
    });
  },
);
