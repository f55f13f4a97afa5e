/**
 * `promship run` behind a bad network to Azure Blob Storage (Azurite): a seeded share (default
 * 30 %) of all requests is reset (before or after the store acted on it), answered 500 or 503,
 * stalled past the client's timeout, dripped slowly or cut mid-body (test/helpers/chaos-proxy.ts,
 * as for S3). The agent is left to run until a run finds nothing to do, then judged without the
 * proxy and without promship's code: @azure/storage-blob lists the container (every published
 * block complete at its listed sizes, no overlap, one block per window with data) and promtool
 * dumps what was shipped (equal to the source).
 *
 * FAULT_RATE, FAULT_WINDOWS and FAULT_SEED make a longer run.
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

const settings = faultSettings({ windows: 1, rate: 0.3 });

void t.test(
  `${Math.round(settings.rate * 100)} % of requests to Azurite fail: every window ships once, nothing torn`,
  async (t) => {
    t.comment(
      `windows=${settings.windows} rate=${settings.rate} seed=${settings.seed} (FAULT_SEED=${settings.seed} replays the fault decisions)`,
    );
    const dir = await tempDir(t);
    const source = await startSource(t, dir, { windows: settings.windows });
    const expected = source.windowsWithData(BLOCK_MS);
    const target = await bucketTarget(t, 'azurite-objstore', join(dir, 'bucket'));
    const azurite = target.azurite!;
    // Azure's error answers are XML like S3's: `<Error><Code>…</Code>`.
    const proxy = await startChaosProxy(t, {
      upstream: `http://127.0.0.1:${azurite.port}`,
      dialect: 's3',
      rate: settings.rate,
      seed: settings.seed,
    });
    // Two tries per request and a short try timeout: enough faults get past the SDK's retries to
    // fail whole windows and runs, which is what this test wants to watch being recovered from.
    const storeEnv = await target.envVia!(
      `${proxy.url}/${azurite.account}`,
      '  max_retries: 2\n  pipeline_config:\n    try_timeout: 3s\n',
    );
    const { env, metricsUrl } = await agentEnv(join(dir, 'data'), {
      PROMSHIP_MAX_BACKFILL: `${settings.windows * 2 + 6}h`,
      ...storeEnv,
      PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    });

    const { daemon, stats, completionMs, account } = await runUntilShippedUnderFaults(
      t,
      env,
      proxy,
      metricsUrl,
      /^PROMSHIP_BUCKET_[A-Z_]+$/,
    );

    t.ok(proxy.stats.faulted > 0, `faults were injected: ${proxy.summary()}`);
    t.ok(
      account.windowFailureLines + account.runFailureLines > 0,
      'some faults got past the SDK retries and were logged',
    );
    const bucket = inspectBucket(t, target);
    const { snap, ours } = await checkShipped(t, bucket, source, { blockMs: BLOCK_MS, dir });
    const ledger = await bucket.get('promship/cluster-two/ledger.json');
    const ledgerOk = ((): boolean => {
      try {
        return ledger !== null && Array.isArray((JSON.parse(ledger.toString('utf8')) as { windows?: unknown }).windows);
      } catch {
        return false;
      }
    })();
    t.ok(ledgerOk, 'the ledger is intact JSON');
    const shipped = daemon.logs.filter((l) => l.msg === 'shipped block');
    const blockIds = new Set(ours.map((m) => m.ulid));
    t.equal(new Set(shipped.map((l) => l.window)).size, shipped.length, "no window has two 'shipped block' lines");
    t.same(
      shipped.filter((l) => !blockIds.has(String(l.ulid))).map((l) => l.ulid),
      [],
      "every 'shipped block' line names a block in the bucket",
    );
    for (const secret of target.secrets)
      t.notOk(
        daemon.logs.some((l) => JSON.stringify(l).includes(secret)),
        'no secret in any log line',
      );
    const corruptObjects =
      snap.complete.flatMap(blockFileProblems).length +
      snap.blocks.filter((b) => b.metaError).length +
      (ledgerOk ? 0 : 1);
    t.equal(corruptObjects, 0, '0 corrupt objects');

    await reportResult(t, 'azure-faults/azurite', {
      seed: settings.seed,
      rate: settings.rate,
      windowsWithData: expected.size,
      blocks: ours.length,
      windowsShipped: ours.filter((m) => expected.has(m.minTime)).length,
      corruptObjects,
      overlaps: ours.filter((m, i) => i > 0 && m.minTime < ours[i - 1]!.maxTime).length,
      partialUploadsLeft: snap.partial.length,
      requests: stats.requests,
      faulted: stats.faulted,
      faultsByKind: stats.byKind,
      windowFailures: account.windowFailures,
      runFailures: account.runFailures,
      completionSeconds: Math.round(completionMs / 100) / 10,
    });
  },
);
