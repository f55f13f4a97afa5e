/**
 * `promship run`: the long-lived agent. One cron schedule (each run says when it fires next),
 * runs that never overlap, a run right at start, metrics and probes over HTTP, a periodic health
 * line, and a clean stop on SIGTERM or SIGINT: the current window is abandoned before its
 * meta.json (so nothing incomplete is ever published) and the process exits 0.
 *
 * Each run happens in a process of its own (`run-process`), which reports back and exits. The
 * agent itself loads no shipping code, so between runs it holds only its schedule, its metrics
 * and its HTTP server; a run's memory, and a crash in a run, end with that run.
 */
import { ConfigError, describeError, PromshipError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { formatWindow } from '../series.ts';
import { startHttpServer, type Probe } from './http-server.ts';
import { ShipperMetrics } from './metrics.ts';
import type { Dependencies, RunReport } from './run-protocol.ts';
import { spawnRun, type RunHandle, type RunOutcome } from './spawn-run.ts';

/** Consecutive failed runs after which the agent reports not ready. */
const FAILING_AFTER_RUNS = 3;

export interface DaemonHandle {
  /** Resolves with the exit code once the daemon has stopped. */
  done: Promise<number>;
  stop(): void;
  port: number;
}

export interface DaemonOptions {
  version: string;
  /** The agent's command-line flags, handed to every run so it loads the same configuration. */
  flags: readonly string[];
  /**
   * Aborted to stop the agent (SIGTERM), also while it is still starting: Kubernetes may stop a
   * pod at any moment, and a stop that arrives before the agent is up must not be lost.
   */
  stopSignal?: AbortSignal;
}

/** Why a listen fails when the address itself is wrong for this host, not the host's state. */
const LISTEN_SETTING_CODES = new Set(['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES', 'ENOTFOUND']);

/** The first run's process died before handing the agent its validated settings. */
class RunStartError extends PromshipError {
  override readonly code = 'PROMSHIP_RUN_CRASHED';
}

/**
 * Starts the agent. Throws ConfigError, like every command, when the configuration is invalid:
 * the first run validates it and hands the agent its settings.
 */
export async function startDaemon(opts: DaemonOptions): Promise<DaemonHandle> {
  let pendingFirst: RunHandle | undefined = spawnRun({ role: 'first', flags: opts.flags });
  // Until the agent's own stop is in place below, a stop goes to the first run.
  const stopFirst = (): void => pendingFirst?.stop();
  opts.stopSignal?.addEventListener('abort', stopFirst, { once: true });
  const loaded = await pendingFirst.settings;
  if (!loaded && opts.stopSignal?.aborted === true) {
    await pendingFirst.outcome;
    return { done: Promise.resolve(0), stop: () => undefined, port: 0 };
  }
  if (!loaded) {
    const outcome = await pendingFirst.outcome;
    if (outcome.type === 'failed' && outcome.config) throw new ConfigError(outcome.message);
    throw new RunStartError(
      `the first run process ended before loading the configuration (${describeOutcome(outcome)}); see its output above`,
    );
  }
  const config = loaded.settings;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const metrics = new ShipperMetrics(opts.version);
  const stopping = new AbortController();
  /** Whether a run has learned the cluster's identity: until then the agent is starting. */
  let started = false;
  let running: Promise<void> | undefined;
  /** When the next run starts, as the last run computed it from the schedule. */
  let nextRunAt: number | undefined;
  let nextRunTimer: NodeJS.Timeout | undefined;
  /** The schedule's period: when a run ends without saying when the next one is due (it crashed). */
  const interval = Math.max(1000, loaded.schedulePeriodMs ?? 60_000);
  let current: RunHandle | undefined;
  let lastRunAt = 0;
  let consecutiveRunFailures = 0;
  let lastReport: RunReport | undefined;
  let lastRunError: string | undefined;
  let dependencies: Dependencies = {};
  /** Set once a run found another live instance shipping these labels: no more runs. */
  let inUse: string | undefined;

  /**
   * A run that shows no progress (no window ended) for this long is stuck: a dependency that
   * answers, but too slowly for any timeout to fire, holds it, and no later run can start. Twice
   * Prometheus' timeout, and three schedule periods, is longer than any window takes.
   */
  const stallAfterMs = Math.max(2 * config.prometheusTimeout, 3 * interval);
  const stalled = (): string | undefined => {
    const run = current;
    if (run === undefined) return undefined;
    const quietMs = Date.now() - run.lastProgressAt();
    return quietMs > stallAfterMs
      ? `the run in progress has ended no window for ${Math.ceil(quietMs / 1000)} s (more than ${Math.round(stallAfterMs / 1000)} s): a dependency may be answering too slowly for its timeout; no later run starts until it ends`
      : undefined;
  };

  // From the last run's own checks: a probe never starts a process or opens a connection.
  const readiness = (): Probe => {
    const stuck = stalled();
    if (stuck !== undefined) return { ok: false, detail: `not ready: ${stuck}` };
    if (!started)
      return {
        ok: false,
        detail: `not ready: the cluster identity is not known yet${lastRunError === undefined ? ' (asking Prometheus)' : `: ${lastRunError}`}`,
      };
    if (inUse !== undefined) return { ok: false, detail: `not ready: ${inUse} [PROMSHIP_CLUSTER_ID_IN_USE]` };
    const problems: string[] = [];
    for (const dep of [dependencies.prometheus, dependencies.bucket]) if (dep && !dep.ok) problems.push(dep.detail);
    if (consecutiveRunFailures >= FAILING_AFTER_RUNS)
      problems.push(`the last ${consecutiveRunFailures} runs failed: ${lastRunError ?? ''}`);
    return problems.length === 0
      ? { ok: true, detail: 'ready' }
      : { ok: false, detail: `not ready: ${problems.join('; ')}` };
  };

  let http: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    http = await startHttpServer(config.listenAddress, {
      registry: metrics.registry,
      health: () => ({ ok: true, detail: 'ok' }),
      ready: () => Promise.resolve(readiness()),
    });
  } catch (err) {
    // The first run is already shipping: without probes or metrics the agent is no agent, so it
    // stops before anything else, as for any wrong setting.
    pendingFirst.stop();
    await pendingFirst.outcome;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && LISTEN_SETTING_CODES.has(code)) {
      throw new ConfigError(
        `invalid PROMSHIP_LISTEN_ADDRESS: cannot listen on ${config.listenAddress} (${code}); give a free port, on an address of this host or none (:8080)`,
      );
    }
    throw err;
  }
  logger.info({ address: config.listenAddress, port: http.port }, 'serving /metrics, /healthz and /readyz');

  const noteDependencies = (deps: Dependencies): void => {
    dependencies = { ...dependencies, ...deps };
    if (deps.prometheus) metrics.up.set({ dependency: 'prometheus' }, deps.prometheus.ok ? 1 : 0);
    if (deps.bucket) metrics.up.set({ dependency: 'bucket' }, deps.bucket.ok ? 1 : 0);
  };

  /** One run in its own process; resolves once that process has exited. */
  const launch = async (): Promise<RunOutcome> => {
    const handle = pendingFirst ?? spawnRun({ role: started ? 'next' : 'starting', flags: opts.flags });
    pendingFirst = undefined;
    // Ready (and no longer 'starting') from the moment the cluster's identity is known.
    void handle.whenStarted.then(() => (started = true));
    current = handle;
    if (stopping.signal.aborted) handle.stop();
    try {
      const outcome = await handle.outcome;
      if (outcome.type !== 'ended') {
        noteDependencies(outcome.dependencies);
        metrics.runPeakRss.set(outcome.peakRssBytes);
      }
      nextRunAt =
        outcome.type !== 'ended' && outcome.nextRunAt !== undefined ? outcome.nextRunAt : Date.now() + interval;
      return outcome;
    } finally {
      current = undefined;
    }
  };

  const recordFailure = (code: string, message: string, durationMs: number): void => {
    consecutiveRunFailures++;
    lastRunError = message;
    metrics.recordRunError(code, durationMs);
    logger.error(
      { err: message, code, consecutiveFailures: consecutiveRunFailures },
      'run failed; retrying on the next schedule',
    );
  };

  const record = (outcome: RunOutcome, startedAt: number): void => {
    if (outcome.type === 'finished') {
      const report = outcome.report;
      lastReport = report;
      metrics.recordRun(report);
      metrics.windowsClaimedElsewhere.inc(report.claimedElsewhere);
      if (report.clusterIdInUse && inUse === undefined) {
        inUse = report.clusterIdInUse.message;
        metrics.clusterIdInUse.set(1);
        logger.error(report.clusterIdInUse.fields, report.clusterIdInUse.message);
      }
      if (report.failed.length > 0 && report.shipped.length === 0) consecutiveRunFailures++;
      // A run that only waited for failed windows' retry times tried nothing: it neither
      // fails nor clears the streak.
      else if (report.failed.length > 0 || report.shipped.length > 0 || report.retrying.length === 0)
        consecutiveRunFailures = 0;
      if (report.failed.length > 0) lastRunError = report.failed[0]!.message;
    } else if (outcome.type === 'skipped') {
      // Not a failure: the other run ships the same windows. Said loudly, as it is rarely planned.
      metrics.recordRunSkipped();
      logger.warn(
        { code: outcome.code, holderPid: outcome.holderPid, err: outcome.message },
        'run skipped: another run is shipping from the data dir',
      );
    } else if (stopping.signal.aborted) {
      logger.info('run interrupted by shutdown; its window will be shipped by the next agent');
    } else if (outcome.type === 'failed') {
      recordFailure(outcome.code, outcome.message, Date.now() - startedAt);
    } else {
      recordFailure(
        'PROMSHIP_RUN_CRASHED',
        `the run process ${describeOutcome(outcome)} (out of memory? see its output above); its windows are retried by the next run`,
        Date.now() - startedAt,
      );
    }
  };

  const runOnce = async (): Promise<void> => {
    if (stopping.signal.aborted) return;
    const startedAt = Date.now();
    lastRunAt = startedAt;
    record(await launch(), startedAt);
  };

  /**
   * Sleeps until the time the last run computed from the schedule, runs, and sleeps again. A run
   * starts only after the previous one has exited, so runs never overlap; ticks that fall inside
   * a long run are skipped, as with any cron schedule that forbids overlap.
   */
  const scheduleNext = (): void => {
    // A second live writer: this agent ships nothing more; it stays up so /readyz and the metric say why.
    if (stopping.signal.aborted || inUse !== undefined) return;
    const at = nextRunAt ?? Date.now() + interval;
    // setTimeout holds at most ~24.8 days; a later run is reached by waking up on the way.
    const delay = Math.min(Math.max(0, at - Date.now()), 86_400_000);
    nextRunTimer = setTimeout(() => {
      if (Date.now() < at) return scheduleNext();
      running = runOnce().finally(() => {
        running = undefined;
        scheduleNext();
      });
    }, delay);
  };

  const healthLine = (): void => {
    const pending = lastReport?.pending ?? 0;
    const lagSeconds =
      lastReport?.newestShippedEnd === undefined ? null : Math.round((Date.now() - lastReport.newestShippedEnd) / 1000);
    // 'starting' until the first run has reported, so an 'ok' always means a run went well.
    const failingWindows = [...(lastReport?.failed ?? []), ...(lastReport?.retrying ?? [])]
      .map((f) => f.window)
      .sort((a, b) => a.start - b.start);
    const stuck = stalled();
    const status =
      inUse !== undefined || stuck !== undefined
        ? 'failing'
        : !started || (lastReport === undefined && consecutiveRunFailures === 0)
          ? 'starting'
          : consecutiveRunFailures >= FAILING_AFTER_RUNS
            ? 'failing'
            : consecutiveRunFailures > 0 || failingWindows.length > 0
              ? 'degraded'
              : 'ok';
    logger.info(
      {
        status,
        lagSeconds,
        pending,
        failingWindows: failingWindows.map(formatWindow),
        consecutiveRunFailures,
        lastRun: lastRunAt ? new Date(lastRunAt).toISOString() : null,
        nextRun: started && nextRunAt !== undefined ? new Date(nextRunAt).toISOString() : null,
        ...(stuck !== undefined ? { stalled: stuck } : {}),
      },
      'health',
    );
  };
  // The config bounds the interval to what a timer can hold (timerDuration in the schema).
  const healthTimer = setInterval(healthLine, config.healthLogInterval);

  const stop = (): void => {
    if (stopping.signal.aborted) return;
    logger.info('stopping: finishing nothing half-way, no meta.json for an incomplete block');
    stopping.abort();
    current?.stop();
  };
  opts.stopSignal?.removeEventListener('abort', stopFirst);
  if (opts.stopSignal?.aborted === true) stop();
  else opts.stopSignal?.addEventListener('abort', stop, { once: true });

  /**
   * The first run also learns the cluster's identity. Prometheus may start after the agent: keep
   * trying, unless the configuration itself is wrong (then stop, as any config error does).
   */
  // A function, not an expression: `started` and `aborted` change while a run is awaited, which
  // TypeScript's narrowing does not see.
  const stillStarting = (): boolean => !started && !stopping.signal.aborted;
  const shipping = (): boolean => started && !stopping.signal.aborted;
  const firstRun = async (): Promise<void> => {
    for (let attempt = 1; stillStarting(); attempt++) {
      const startedAt = Date.now();
      lastRunAt = startedAt;
      const outcome = await launch();
      // `started` is set by then if this run learned the identity (see RunHandle.whenStarted).
      if (stillStarting()) {
        if (outcome.type === 'failed' && outcome.config) throw new ConfigError(outcome.message);
        const waitMs = Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
        // A run that never learned the identity cannot have finished: it failed or died.
        const [err, code] =
          outcome.type === 'failed'
            ? [outcome.message, outcome.code]
            : [`the run process ${describeOutcome(outcome)}`, 'PROMSHIP_RUN_CRASHED'];
        lastRunError = err;
        logger.error({ err, code, attempt, retryInSeconds: waitMs / 1000 }, 'cannot start shipping yet');
        await sleep(waitMs, stopping.signal);
        continue;
      }
      record(outcome, startedAt);
    }
  };

  const done = (async (): Promise<number> => {
    let code = 0;
    try {
      running = firstRun().finally(() => {
        running = undefined;
      });
      await running;
      if (shipping()) {
        scheduleNext();
        healthLine();
        await new Promise<void>((resolve) =>
          stopping.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      }
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`promship: ${err.message}\n`);
        code = 2;
      } else {
        logger.fatal({ err: describeError(err) }, 'daemon failed');
        code = 1;
      }
    } finally {
      clearInterval(healthTimer);
      clearTimeout(nextRunTimer);
      await running;
      await http.close();
      logger.info({ exitCode: code }, 'stopped');
    }
    return code;
  })();

  return { done, stop, port: http.port };
}

function describeOutcome(outcome: RunOutcome): string {
  if (outcome.type !== 'ended') return `reported ${outcome.type}`;
  return outcome.signal
    ? `was killed by ${outcome.signal} without reporting`
    : `exited with code ${String(outcome.exitCode)} without reporting`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
