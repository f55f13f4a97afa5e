/**
 * What every fault scenario (test/faults/) shares: its size and fault rate from the environment
 * (short defaults for `npm test`, long ones from `npm run test:faults`), the agent's settings for
 * fast retries, waiting for the agent to settle, the check that each failure an operator
 * should see is in the logs and in the metrics, and that the two agree, and the judgement of the
 * bucket the store scenarios (S3, GCS, Azure) share.
 */
import { appendFile } from 'node:fs/promises';
import type { Test } from 'tap';
import { blockFileProblems, inspectBucket } from './bucket-inspector.ts';
import type { BucketTarget } from './bucket-targets.ts';
import type { ChaosProxy, ChaosStats } from './chaos-proxy.ts';
import { parseMetrics, startDaemon, type RunningDaemon } from './daemon.ts';
import { freePort } from './prometheus.ts';
import { checkShipped } from './shipped-checks.ts';
import type { Source } from './source.ts';

export interface FaultSettings {
  /** 2h windows of generated history in the source (each gives eight 15m blocks). */
  windows: number;
  /** Share of requests faulted, 0..1. */
  rate: number;
  seed: number;
}

/** `FAULT_WINDOWS`, `FAULT_RATE` and `FAULT_SEED` override the short defaults. */
export function faultSettings(short: { windows: number; rate: number }): FaultSettings {
  const num = (name: string, fallback: number): number => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`${name}=${raw} is not a number`);
    return n;
  };
  return {
    windows: num('FAULT_WINDOWS', short.windows),
    rate: num('FAULT_RATE', short.rate),
    seed: num('FAULT_SEED', Date.now() % 1_000_000),
  };
}

export const BLOCK_MS = 15 * 60_000;

/**
 * The agent as the fault tests run it: 15m windows, a run every second, retries after 1–2 s, and
 * short timeouts so a stalled connection costs a second, not minutes.
 */
export async function agentEnv(
  dataDir: string,
  extra: Record<string, string>,
): Promise<{ env: Record<string, string>; metricsUrl: string }> {
  const port = await freePort();
  return {
    metricsUrl: `http://127.0.0.1:${port}/metrics`,
    env: {
      PROMSHIP_DATA_DIR: dataDir,
      PROMSHIP_BLOCK_DURATION: '15m',
      // Data starts a few hours back; a day keeps the windows read before it (when the oldest-sample
      // lookup itself was faulted) few.
      PROMSHIP_MAX_BACKFILL: '1d',
      PROMSHIP_SCHEDULE: '*/1 * * * * *',
      PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}`,
      PROMSHIP_HEALTH_LOG_INTERVAL: '5s',
      PROMSHIP_RETRY_BACKOFF: '1s',
      PROMSHIP_RETRY_BACKOFF_MAX: '2s',
      PROMSHIP_S3_CHECKSUM_MODE: 'when-required',
      PROMSHIP_S3_REQUEST_TIMEOUT: '1s',
      PROMSHIP_PROMETHEUS_TIMEOUT: '1s',
      ...extra,
    },
  };
}

/** A run that found nothing left to do: nothing shipped, failed or waiting for a retry. */
export function isQuietRun(l: Record<string, unknown>): boolean {
  return l.msg === 'run finished' && l.shipped === 0 && l.failed === 0 && l.pending === 0;
}

export const RUN_FAILED = 'run failed; retrying on the next schedule';

/**
 * Waits for `n` more quiet runs than there are now. After the faults are switched off, two of
 * them mean a whole run has started and ended without faults, so no failure is still on its way
 * into the logs or the metrics (window failures reach the metrics only when their run ends).
 */
async function quietRunsAfterNow(daemon: RunningDaemon, n = 2, timeoutMs = 120_000): Promise<void> {
  const target = daemon.logs.filter(isQuietRun).length + n;
  await daemon.waitForLog(() => daemon.logs.filter(isQuietRun).length >= target, timeoutMs, `${n} more quiet runs`);
}

export interface FailureAccount {
  windowFailures: Record<string, number>;
  runFailures: Record<string, number>;
  windowFailureLines: number;
  runFailureLines: number;
}

/**
 * Every 'window failed' and 'run failed' line carries a stable code matching `codes`, and
 * `promship_window_failures_total{reason}` / `promship_run_failures_total{reason}` count exactly
 * those lines, code by code.
 */
export async function checkFailureAccount(
  t: Test,
  daemon: RunningDaemon,
  metricsUrl: string,
  codes: RegExp,
): Promise<FailureAccount> {
  const metrics = parseMetrics(await (await fetch(metricsUrl)).text());
  const windowLines = daemon.logs.filter((l) => l.msg === 'window failed');
  const runLines = daemon.logs.filter((l) => l.msg === RUN_FAILED);
  const count = (lines: Record<string, unknown>[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const l of lines) out[String(l.code)] = (out[String(l.code)] ?? 0) + 1;
    return out;
  };
  const fromMetrics = (name: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [k, v] of metrics) {
      const m = new RegExp(`^${name}\\{reason="([^"]+)"\\}$`).exec(k);
      if (m && v > 0) out[m[1]!] = v;
    }
    return out;
  };
  const badWindow = windowLines.filter(
    (l) =>
      !(
        typeof l.code === 'string' &&
        codes.test(l.code) &&
        typeof l.window === 'string' &&
        typeof l.err === 'string' &&
        typeof l.nextRetry === 'string'
      ),
  );
  t.same(
    badWindow,
    [],
    `every 'window failed' line names the window, a ${codes.source} code, the cause and the next retry`,
  );
  const badRun = runLines.filter(
    (l) => !(typeof l.code === 'string' && /^PROMSHIP_[A-Z_]+$/.test(l.code) && typeof l.err === 'string'),
  );
  t.same(badRun, [], "every 'run failed' line names a code and the cause");
  const account = {
    windowFailures: count(windowLines),
    runFailures: count(runLines),
    windowFailureLines: windowLines.length,
    runFailureLines: runLines.length,
  };
  t.same(
    fromMetrics('promship_window_failures_total'),
    account.windowFailures,
    'promship_window_failures_total{reason} counts the logged window failures by code',
  );
  t.same(
    fromMetrics('promship_run_failures_total'),
    account.runFailures,
    'promship_run_failures_total{reason} counts the logged run failures by code',
  );
  return account;
}

/** One scenario's figures: a `RESULT {json}` comment, and a line in `FAULT_RESULTS_FILE` when set. */
export async function reportResult(t: Test, scenario: string, figures: Record<string, unknown>): Promise<void> {
  const line = JSON.stringify({ scenario, at: new Date().toISOString(), ...figures });
  t.comment(`RESULT ${line}`);
  const file = process.env.FAULT_RESULTS_FILE;
  if (file) await appendFile(file, `${line}\n`);
}

export interface FaultedRun {
  daemon: RunningDaemon;
  /** The proxy's figures for the faulted part only (the settling runs are fault-free). */
  stats: ChaosStats;
  completionMs: number;
  account: FailureAccount;
}

/**
 * Runs `promship run` through the faults until a run finds nothing left to ship, then turns the
 * faults off, lets it settle, checks that logs and metrics account for every failure (codes
 * matching `codes`), and stops it with SIGTERM, which must exit 0.
 */
export async function runUntilShippedUnderFaults(
  t: Test,
  env: Record<string, string>,
  proxy: ChaosProxy,
  metricsUrl: string,
  codes: RegExp,
): Promise<FaultedRun> {
  const started = Date.now();
  const daemon = startDaemon(t, env);
  await daemon.waitForLog(isQuietRun, 600_000, 'a run with nothing left to ship');
  const completionMs = Date.now() - started;
  const stats = structuredClone(proxy.stats);
  proxy.rate = 0;
  await quietRunsAfterNow(daemon);
  const account = await checkFailureAccount(t, daemon, metricsUrl, codes);
  daemon.signal('SIGTERM');
  t.equal(await daemon.exited, 0, 'the agent stops cleanly');
  return { daemon, stats, completionMs, account };
}

/**
 * What every store's fault scenario checks once the agent has stopped, without promship's code:
 * `checkShipped` (every published block complete at its listed sizes, no overlap, one block per
 * window with data, promtool dump equal to the source), the ledger intact JSON, no window with
 * two 'shipped block' lines, every such line naming a block in the bucket, a block published
 * without its line only for a window logged as failed, 0 corrupt objects, and no secret of the
 * target in any log line. Returns the figures for `reportResult`.
 */
export async function judgeStoreAfterFaults(
  t: Test,
  run: FaultedRun,
  target: BucketTarget,
  source: Source,
  dir: string,
): Promise<Record<string, unknown>> {
  const { daemon, stats, completionMs, account } = run;
  const expected = source.windowsWithData(BLOCK_MS);
  const bucket = inspectBucket(t, target);
  const { snap, ours } = await checkShipped(t, bucket, source, { blockMs: BLOCK_MS, dir });
  const ledger = await bucket.get('promship/cluster-two/ledger.json');
  let ledgerOk: boolean;
  try {
    ledgerOk = ledger !== null && Array.isArray((JSON.parse(ledger.toString('utf8')) as { windows?: unknown }).windows);
  } catch {
    ledgerOk = false;
  }
  t.ok(ledgerOk, 'the ledger is intact JSON');
  // A meta.json PUT whose answer is lost is confirmed by reading meta.json back; when that read
  // fails too, the window is logged as failed and the next run finds the block published. So
  // there may be fewer 'shipped block' lines than blocks, but never two for one window, and
  // each names a block in the bucket.
  const shipped = daemon.logs.filter((l) => l.msg === 'shipped block');
  const blockIds = new Set(ours.map((m) => m.ulid));
  t.equal(new Set(shipped.map((l) => l.window)).size, shipped.length, "no window has two 'shipped block' lines");
  t.same(
    shipped.filter((l) => !blockIds.has(String(l.ulid))).map((l) => l.ulid),
    [],
    "every 'shipped block' line names a block in the bucket",
  );
  t.ok(
    ours.length - shipped.length <= account.windowFailureLines,
    'a block published without its line belongs to a window logged as failed',
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
  return {
    windowsWithData: expected.size,
    blocks: ours.length,
    windowsShipped: ours.filter((m) => expected.has(m.minTime)).length,
    corruptObjects,
    overlaps: ours.filter((m, i) => i > 0 && m.minTime < ours[i - 1]!.maxTime).length,
    partialUploadsLeft: snap.partial.length,
    publishedWhileAnswerLost: ours.length - shipped.length,
    requests: stats.requests,
    faulted: stats.faulted,
    faultsByKind: stats.byKind,
    byOperation: stats.byOperation,
    windowFailures: account.windowFailures,
    runFailures: account.runFailures,
    completionSeconds: Math.round(completionMs / 100) / 10,
  };
}
