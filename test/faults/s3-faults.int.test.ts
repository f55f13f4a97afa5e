/**
 * `promship run` behind a bad network to the bucket: a seeded share (default 30 %) of all S3
 * requests is reset (before or after the store acted on it), answered 500 InternalError or 503
 * SlowDown, stalled past the client's timeout, dripped slowly or cut mid-body. The agent is left
 * to run until a run finds nothing to do, then judged without the proxy and without promship's
 * code: the AWS SDK lists the bucket (every published block complete at its listed sizes, no
 * overlap, one block per window with data), promtool dumps what was shipped (equal to the source),
 * and the failures that got past the SDK's own retries are in the logs and the metrics, with codes.
 *
 * FAULT_RATE, FAULT_WINDOWS, FAULT_SEED and FAULT_S3_SERVERS (`fauxqs`, `s3rver`, or both
 * comma-separated) make the long run of `npm run test:faults`.
 */
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget, type TargetKind } from '../helpers/bucket-targets.ts';
import { startChaosProxy } from '../helpers/chaos-proxy.ts';
import {
  agentEnv,
  faultSettings,
  judgeStoreAfterFaults,
  reportResult,
  runUntilShippedUnderFaults,
} from '../helpers/fault-scenario.ts';
import { startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

const settings = faultSettings({ windows: 1, rate: 0.3 });
const servers = (process.env.FAULT_S3_SERVERS ?? 'fauxqs').split(',').map((s) => s.trim()) as TargetKind[];

for (const kind of servers) {
  t.test(
    `${Math.round(settings.rate * 100)} % of S3 requests to ${kind} fail: every window ships once, nothing torn`,
    async (t) => {
      t.comment(
        `windows=${settings.windows} rate=${settings.rate} seed=${settings.seed} (FAULT_SEED=${settings.seed} replays the fault decisions)`,
      );
      const dir = await tempDir(t);
      const source = await startSource(t, dir, { windows: settings.windows });
      const target = await bucketTarget(t, kind, join(dir, 'bucket'));
      const proxy = await startChaosProxy(t, {
        upstream: target.server!.endpoint,
        dialect: 's3',
        rate: settings.rate,
        seed: settings.seed,
      });
      const { env, metricsUrl } = await agentEnv(join(dir, 'data'), {
        // All of the generated history (it ends 2h before the current 2h boundary), and a little more.
        PROMSHIP_MAX_BACKFILL: `${settings.windows * 2 + 6}h`,
        ...target.env,
        PROMSHIP_S3_ENDPOINT: proxy.url,
        PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
        // Two attempts per request: enough faults get past the SDK's retries to fail whole windows
        // and runs, which is what this test wants to watch being recovered from.
        PROMSHIP_S3_MAX_ATTEMPTS: '2',
      });

      const faulted = await runUntilShippedUnderFaults(t, env, proxy, metricsUrl, /^PROMSHIP_BUCKET_[A-Z_]+$/);

      t.ok(proxy.stats.faulted > 0, `faults were injected: ${proxy.summary()}`);
      t.ok(
        faulted.account.windowFailureLines + faulted.account.runFailureLines > 0,
        'some faults got past the SDK retries and were logged',
      );
      const figures = await judgeStoreAfterFaults(t, faulted, target, source, dir);
      await reportResult(t, `s3-faults/${kind}`, { seed: settings.seed, rate: settings.rate, ...figures });
    },
  );
}
