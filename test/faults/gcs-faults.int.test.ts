/**
 * `promship run` behind a bad network to Google Cloud Storage (the firebase-tools GCS emulator
 * reached through STORAGE_EMULATOR_HOST): a seeded share (default 30 %) of all requests is reset
 * (before or after the store acted on it), answered 500/503 in the JSON API's shape, stalled,
 * dripped slowly or cut mid-body. The agent runs until a run finds nothing to do, then is judged
 * without the proxy and without promship's code: @google-cloud/storage lists the bucket (every
 * published block complete at its listed sizes, no overlap, one block per window with data),
 * promtool dumps what was shipped (equal to the source), and the failures that got past the
 * SDK's retries are in the logs and metrics with PROMSHIP_BUCKET_* codes.
 *
 * FAULT_RATE, FAULT_WINDOWS and FAULT_SEED make a longer run.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
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

t.test(
  `${Math.round(settings.rate * 100)} % of GCS requests fail: every window ships once, nothing torn`,
  async (t) => {
    t.comment(
      `windows=${settings.windows} rate=${settings.rate} seed=${settings.seed} (FAULT_SEED=${settings.seed} replays the fault decisions)`,
    );
    const dir = await tempDir(t);
    const source = await startSource(t, dir, { windows: settings.windows });
    const target = await bucketTarget(t, 'gcs', join(dir, 'bucket'));
    // A stalled request is cut after 20 s: the SDK's own timeout (2m) need not be waited out.
    const proxy = await startChaosProxy(t, {
      upstream: target.gcs!.endpoint,
      dialect: 'gcs',
      rate: settings.rate,
      seed: settings.seed,
      stallMaxMs: 20_000,
    });
    // The bucket as a Thanos objstore YAML, so the request timeout can be short: the SDK notices
    // an answer the proxy cut only when its timeout ends (or never: promship's deadline of the
    // timeout plus a grace ends those tries), so each such answer costs 2–4 s here instead of the
    // default 2 minutes.
    const objstore = join(dir, 'object-store.yaml');
    await writeFile(
      objstore,
      `type: GCS\nprefix: thanos\nconfig:\n  bucket: ${target.gcs!.bucket}\n  max_retries: 3\n  http_config:\n    response_header_timeout: 2s\n`,
    );
    const { env, metricsUrl } = await agentEnv(join(dir, 'data'), {
      PROMSHIP_MAX_BACKFILL: `${settings.windows * 2 + 6}h`,
      PROMSHIP_OBJSTORE_CONFIG_FILE: objstore,
      STORAGE_EMULATOR_HOST: proxy.url,
      PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    });

    const faulted = await runUntilShippedUnderFaults(t, env, proxy, metricsUrl, /^PROMSHIP_BUCKET_[A-Z_]+$/);

    t.ok(proxy.stats.faulted > 0, `faults were injected: ${proxy.summary()}`);
    const figures = await judgeStoreAfterFaults(t, faulted, target, source, dir);
    await reportResult(t, 'gcs-faults/gcs-emulator', { seed: settings.seed, rate: settings.rate, ...figures });
  },
);
