/**
 * One run of `promship run`, in a process of its own (src/daemon/run-process.ts loads it): learn
 * the cluster's identity, ship every due window, check Prometheus and the bucket for /readyz,
 * report to the agent over IPC, exit.
 * Everything a run loads (the S3 SDK, the HTTP client, block buffers) is gone with the process,
 * so the agent stays small between runs and a crash here cannot take the agent down.
 *
 * argv: the run's `RunRole` (./run-protocol.ts), then the agent's own flags,
 * so the configuration is loaded from the same environment and flags as the agent's.
 */
import { releaseFromAgent } from './orphan-guard.ts';
import { createApp, type App } from '../app.ts';
import { loadConfig } from '../config/load.ts';
import { ConfigError, describeError, promshipCode } from '../errors.ts';
import { createLogger, type Logger } from '../log.ts';
import { acquireRunLock, RunLockedError, type RunLock } from '../shipper/run-lock.ts';
import { writeRunHeartbeat, type RunHeartbeatContext, type RunOutcome } from '../shipper/run-heartbeat.ts';
import { openBucket } from '../bucket/open-bucket.ts';
import type { Config } from '../config/schema.ts';
import { VERSION } from '../version.ts';
import { nextScheduledRuns, schedulePeriod } from '../config/next-run.ts';
import { clusterIdInUseLine } from '../shipper/cluster-in-use.ts';
import {
  agentSettings,
  toRunReport,
  type RunReport,
  type AgentMessage,
  type DependencyCheck,
  type Dependencies,
  type ProgressMessage,
  type RunMessage,
  type RunRole,
} from './run-protocol.ts';

function send(message: RunMessage | ProgressMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

const peakRssBytes = (): number => process.resourceUsage().maxRSS * 1024;

const unreachable = (what: string, err: unknown): DependencyCheck => ({
  ok: false,
  detail: `${what} unreachable: ${describeError(err)}`,
});

async function check(what: string, probe: () => Promise<unknown>): Promise<DependencyCheck> {
  try {
    await probe();
    return { ok: true, detail: `${what} reachable` };
  } catch (err) {
    return unreachable(what, err);
  }
}

/**
 * The dependency a start-up failure is about, by its code: Prometheus' for a question to it, the
 * bucket's for a store error, none for the rest (an unusable data dir is neither's fault).
 */
function failedDependency(err: unknown): Dependencies {
  const code = promshipCode(err, 'PROMSHIP_START_FAILED');
  if (code.startsWith('PROMSHIP_REMOTE_READ_')) return { prometheus: unreachable('Prometheus', err) };
  if (code.startsWith('PROMSHIP_BUCKET_')) return { bucket: unreachable('bucket', err) };
  return {};
}

/** The same two cheap requests /readyz used to make: Prometheus' config, and a bucket listing. */
async function checkDependencies(app: App): Promise<Dependencies> {
  const [prometheus, bucket] = await Promise.all([
    check('Prometheus', () => app.client.externalLabels()),
    check('bucket', () => app.bucket.listChildren('promship/')),
  ]);
  return { prometheus, bucket };
}

/**
 * A run that failed before it learned the cluster's identity still leaves a heartbeat when the
 * cluster id is configured, so the fleet view shows why instead of only an ageing heartbeat.
 */
async function heartbeatWithoutApp(
  config: Config,
  logger: Logger,
  base: Omit<RunHeartbeatContext, 'bucket' | 'logger' | 'cluster'>,
  code: string,
): Promise<void> {
  if (config.clusterId === undefined) return;
  try {
    const { bucket } = await openBucket(config);
    try {
      await writeRunHeartbeat({ ...base, bucket, logger, cluster: config.clusterId }, { result: 'error', code });
    } finally {
      await bucket.close();
    }
  } catch (err) {
    logger.warn(
      { code: 'PROMSHIP_HEARTBEAT_FAILED', err: describeError(err) },
      'could not write the heartbeat; the run itself is unaffected',
    );
  }
}

async function run(flags: string[], role: RunRole, signal: AbortSignal): Promise<number> {
  const announce = role !== 'next';
  let app: App;
  let dataDir: string;
  let logger: Logger | undefined;
  let config: Config | undefined;
  let schedule: string | undefined;
  const runStartedAt = Date.now();
  const nextRunAt = (): number | undefined => (schedule === undefined ? undefined : nextScheduledRuns(schedule)[0]);
  // Asked for after the windows (the heartbeat), except by the agent's first run: the agent needs
  // it then, and keeps that run's settings only.
  let period: { ms: number | undefined } | undefined;
  const periodMs = (c: Config): number | undefined => (period ??= { ms: schedulePeriod(c.schedule) }).ms;
  const heartbeatBase = (c: Config): Omit<RunHeartbeatContext, 'bucket' | 'logger' | 'cluster'> => ({
    dataDir: c.dataDir,
    agentVersion: VERSION,
    blockDurationMs: c.blockDuration,
    shipDelayMs: c.shipDelay,
    scheduleIntervalMs: periodMs(c) ?? 0,
    runStartedAt,
  });
  try {
    config = loadConfig({ env: process.env, argv: flags });
    schedule = config.schedule;
    await send({
      type: 'settings',
      settings: agentSettings(config),
      schedulePeriodMs: role === 'first' ? periodMs(config) : undefined,
    });
    dataDir = config.dataDir;
    logger = createLogger({ level: config.logLevel, format: config.logFormat });
    app = await createApp(config, logger, { announce, signal });
  } catch (err) {
    // Stopped by the agent while asking Prometheus who the cluster is: nothing to report.
    if (signal.aborted) return 0;
    const isConfig = err instanceof ConfigError;
    if (!isConfig && config && logger)
      await heartbeatWithoutApp(config, logger, heartbeatBase(config), promshipCode(err, 'PROMSHIP_START_FAILED'));
    await send({
      type: 'failed',
      config: isConfig,
      code: promshipCode(err, 'PROMSHIP_START_FAILED'),
      message: isConfig ? err.message : describeError(err),
      dependencies: isConfig ? {} : failedDependency(err),
      peakRssBytes: peakRssBytes(),
      nextRunAt: nextRunAt(),
    });
    return isConfig ? 2 : 1;
  }
  let lock: RunLock | undefined;
  const heartbeat = (outcome: RunOutcome): Promise<unknown> =>
    writeRunHeartbeat(
      {
        ...heartbeatBase(config),
        bucket: app.bucket,
        logger,
        cluster: app.identity.clusterId,
        labels: app.identity.thanosLabels,
      },
      outcome,
    );
  try {
    await send({ type: 'started' });
    // Taken once the identity is known, so that a skipped first run still makes the agent ready.
    lock = await acquireRunLock({ dataDir, command: 'run', logger });
    const summary = await app.shipper.runOnce({ signal, onWindowDone: () => void send({ type: 'window' }) });
    const dependencies = await checkDependencies(app);
    let inUse: RunReport['clusterIdInUse'];
    if (summary.otherWriters.length > 0) {
      const [fields, message] = clusterIdInUseLine(app.identity.clusterId, app.instanceId, summary.otherWriters);
      inUse = { fields, message };
    }
    await heartbeat({ summary });
    await send({
      type: 'finished',
      report: toRunReport(summary, inUse),
      dependencies,
      peakRssBytes: peakRssBytes(),
      nextRunAt: nextRunAt(),
    });
    return 0;
  } catch (err) {
    // Stopped by the agent: its window is abandoned before meta.json; the agent says so.
    if (signal.aborted) return 0;
    if (err instanceof RunLockedError) {
      await heartbeat({ result: 'skipped', code: err.code });
      await send({
        type: 'skipped',
        code: err.code,
        message: err.message,
        holderPid: err.holder.pid,
        dependencies: {},
        peakRssBytes: peakRssBytes(),
        nextRunAt: nextRunAt(),
      });
      return 0;
    }
    await heartbeat({ result: 'error', code: promshipCode(err, 'PROMSHIP_RUN_FAILED') });
    await send({
      type: 'failed',
      config: false,
      code: promshipCode(err, 'PROMSHIP_RUN_FAILED'),
      message: describeError(err),
      dependencies: await checkDependencies(app),
      peakRssBytes: peakRssBytes(),
      nextRunAt: nextRunAt(),
    });
    return 1;
  } finally {
    try {
      await app.close();
    } finally {
      await lock?.release();
    }
  }
}

const [which, ...flags] = process.argv.slice(2);
const stopping = new AbortController();
/**
 * How long a run asked to stop may take to end. The window's build stops at once, but a question
 * to Prometheus or the bucket outside it may wait out its timeout (minutes), and Kubernetes kills
 * the pod 30 s after its SIGTERM. Exiting without finishing is safe: nothing is published before
 * meta.json, and a run lock left behind is taken over.
 */
const STOP_GRACE_MS = 10_000;
const stop = (): void => {
  if (stopping.signal.aborted) return;
  stopping.abort();
  setTimeout(() => process.exit(0), STOP_GRACE_MS).unref();
};
// Whatever arrives over IPC is checked, not trusted to be an AgentMessage.
process.on('message', (m: Partial<AgentMessage> | null) => {
  if (m?.type === 'stop') stop();
});
// Ctrl-C reaches the whole process group; stop as the agent would ask.
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

run(flags, which === 'first' || which === 'starting' ? which : 'next', stopping.signal).then(
  (code) => finish(code),
  (err: unknown) => {
    process.stderr.write(`promship run process: ${describeError(err)}\n`);
    finish(1);
  },
);

function finish(code: number): void {
  process.exitCode = code;
  releaseFromAgent();
  if (process.connected) process.disconnect();
  // A stray keep-alive socket or timer must not keep a finished run alive.
  setTimeout(() => process.exit(code), 2000).unref();
}
