/**
 * `promship run` behind a bad network to Prometheus: a seeded share (default 30 %) of all requests
 * to Prometheus (remote read, the config and metrics endpoints) is reset, answered 500 or 503,
 * stalled past PROMSHIP_PROMETHEUS_TIMEOUT, dripped slowly, or cut mid-body (also right at a frame
 * boundary, without the end of the chunked body). A cut answer must fail its window, never pass as
 * a window with fewer series or samples. The agent runs until a run finds nothing left to do;
 * then the bucket is judged with the AWS SDK and promtool, and the failures must be in the logs and
 * the metrics with remote-read codes.
 *
 * FAULT_RATE, FAULT_WINDOWS and FAULT_SEED make the long run of `npm run test:faults`.
 */
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { blockFileProblems, inspectBucket } from '../helpers/bucket-inspector.ts';
import { startChaosProxy } from '../helpers/chaos-proxy.ts';
import {
  agentEnv,
  BLOCK_MS,
  faultSettings,
  reportResult,
  runUntilShippedUnderFaults,
} from '../helpers/fault-scenario.ts';
import { checkShipped } from '../helpers/shipped-checks.ts';
import { startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

// Three 2h windows give about 22 reads of windows with data: enough that, at 30 %, some of them
// fail for sure (all succeeding has a chance of 0.75^22, about 0.2 %).
const settings = faultSettings({ windows: 3, rate: 0.3 });

t.test(
  `${Math.round(settings.rate * 100)} % of requests to Prometheus fail: every window ships once, exactly`,
  async (t) => {
    t.comment(
      `windows=${settings.windows} rate=${settings.rate} seed=${settings.seed} (FAULT_SEED=${settings.seed} replays the fault decisions)`,
    );
    const dir = await tempDir(t);
    const source = await startSource(t, dir, { windows: settings.windows });
    const expected = source.windowsWithData(BLOCK_MS);
    const target = await bucketTarget(t, 'fauxqs', join(dir, 'bucket'));
    const proxy = await startChaosProxy(t, {
      upstream: source.prometheus.url,
      dialect: 'prometheus',
      rate: settings.rate,
      seed: settings.seed,
    });
    const { env, metricsUrl } = await agentEnv(join(dir, 'data'), {
      // All of the generated history (it ends 2h before the current 2h boundary), and a little more.
      PROMSHIP_MAX_BACKFILL: `${settings.windows * 2 + 6}h`,
      ...target.env,
      PROMSHIP_PROMETHEUS_URL: proxy.url,
    });

    const { daemon, stats, completionMs, account } = await runUntilShippedUnderFaults(
      t,
      env,
      proxy,
      metricsUrl,
      /^PROMSHIP_REMOTE_READ_[A-Z_]+$/,
    );

    t.ok(proxy.stats.byOperation.read!.faults > 0, `remote reads were faulted: ${proxy.summary()}`);
    t.ok(account.windowFailureLines > 0, "faulted reads failed their windows, with a 'window failed' line each");
    // Prometheus is consulted again at every start; a faulted config read delays the start only.
    const startRetries = daemon.logs.filter((l) => l.msg === 'cannot start shipping yet').length;

    const bucket = inspectBucket(t, target);
    const { snap, ours } = await checkShipped(t, bucket, source, { blockMs: BLOCK_MS, dir });
    const shipped = daemon.logs.filter((l) => l.msg === 'shipped block');
    t.equal(new Set(shipped.map((l) => l.window)).size, shipped.length, "no window has two 'shipped block' lines");
    t.equal(shipped.length, ours.length, "one 'shipped block' line per block (the bucket itself was not faulted)");
    const empty = daemon.logs.filter((l) => l.msg === 'window has no samples; no block').length;

    await reportResult(t, 'prometheus-faults', {
      seed: settings.seed,
      rate: settings.rate,
      windowsWithData: expected.size,
      blocks: ours.length,
      windowsShipped: ours.filter((m) => expected.has(m.minTime)).length,
      corruptObjects: snap.complete.flatMap(blockFileProblems).length + snap.blocks.filter((b) => b.metaError).length,
      overlaps: ours.filter((m, i) => i > 0 && m.minTime < ours[i - 1]!.maxTime).length,
      partialUploadsLeft: snap.partial.length,
      emptyWindowLines: empty,
      requests: stats.requests,
      faulted: stats.faulted,
      faultsByKind: stats.byKind,
      byOperation: stats.byOperation,
      windowFailures: account.windowFailures,
      runFailures: account.runFailures,
      startRetries,
      completionSeconds: Math.round(completionMs / 100) / 10,
    });
  },
);
