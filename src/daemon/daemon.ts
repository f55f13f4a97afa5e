/**
 * `promship run`: the long-lived agent. One cron schedule, runs that never overlap, a run right
 * at start, metrics and probes over HTTP, a periodic health line, and a clean stop on SIGTERM or
 * SIGINT: the current window is abandoned before its meta.json (so nothing incomplete is ever
 * published) and the process exits 0.
 */
import { schedule, type ScheduledTask } from 'node-cron';
import { createApp, type App } from '../app.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError, describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RunSummary } from '../shipper/shipper.ts';
import { formatWindow } from '../series.ts';
import { startHttpServer, type Probe } from './http-server.ts';
import { ShipperMetrics } from './metrics.ts';

/** Consecutive failed runs after which the agent reports not ready. */
const FAILING_AFTER_RUNS = 3;
/** Readiness checks of Prometheus and the bucket are cached this long, so probes stay cheap. */
const READY_CACHE_MS = 10_000;

export interface DaemonHandle {
  /** Resolves with the exit code once the daemon has stopped. */
  done: Promise<number>;
  stop(): void;
  port: number;
}

export async function startDaemon(config: Config, logger: Logger, version: string): Promise<DaemonHandle> {
  const metrics = new ShipperMetrics(version);
  const stopping = new AbortController();
  let app: App | undefined;
  let task: ScheduledTask | undefined;
  let running: Promise<void> | undefined;
  let runAbort: AbortController | undefined;
  let lastRunAt = 0;
  let consecutiveRunFailures = 0;
  let lastSummary: RunSummary | undefined;
  let lastRunError: string | undefined;
  let readyCache: { at: number; probe: Probe } | undefined;

  const checkReady = async (): Promise<Probe> => {
    if (!app) return { ok: false, detail: 'not ready: still connecting to Prometheus to learn the cluster identity' };
    if (readyCache && Date.now() - readyCache.at < READY_CACHE_MS) return readyCache.probe;
    const problems: string[] = [];
    try {
      await app.client.externalLabels();
      metrics.up.set({ dependency: 'prometheus' }, 1);
    } catch (err) {
      metrics.up.set({ dependency: 'prometheus' }, 0);
      problems.push(`Prometheus unreachable: ${describeError(err)}`);
    }
    try {
      await app.bucket.listChildren('promship/');
      metrics.up.set({ dependency: 'bucket' }, 1);
    } catch (err) {
      metrics.up.set({ dependency: 'bucket' }, 0);
      problems.push(`bucket unreachable: ${describeError(err)}`);
    }
    if (consecutiveRunFailures >= FAILING_AFTER_RUNS) problems.push(`the last ${consecutiveRunFailures} runs failed: ${lastRunError ?? ''}`);
    const probe = problems.length === 0 ? { ok: true, detail: 'ready' } : { ok: false, detail: `not ready: ${problems.join('; ')}` };
    readyCache = { at: Date.now(), probe };
    return probe;
  };

  const http = await startHttpServer(config.listenAddress, {
    registry: metrics.registry,
    health: () => ({ ok: true, detail: 'ok' }),
    ready: checkReady,
  });
  logger.info({ address: config.listenAddress, port: http.port }, 'serving /metrics, /healthz and /readyz');

  const runOnce = async (): Promise<void> => {
    if (!app || stopping.signal.aborted) return;
    runAbort = new AbortController();
    const started = Date.now();
    lastRunAt = started;
    try {
      const summary = await app.shipper.runOnce({ signal: runAbort.signal });
      lastSummary = summary;
      metrics.recordRun(summary);
      consecutiveRunFailures = summary.failed.length > 0 && summary.shipped.length === 0 ? consecutiveRunFailures + 1 : 0;
      if (summary.failed.length > 0) lastRunError = summary.failed[0]!.error.message;
    } catch (err) {
      if (runAbort.signal.aborted) {
        logger.info('run interrupted by shutdown; its window will be shipped by the next agent');
        return;
      }
      consecutiveRunFailures++;
      lastRunError = describeError(err);
      const code = (err as { code?: unknown }).code;
      metrics.recordRunError(typeof code === 'string' ? code : 'PROMSHIP_RUN_FAILED', Date.now() - started);
      logger.error({ err: lastRunError, code, consecutiveFailures: consecutiveRunFailures }, 'run failed; retrying on the next schedule');
    } finally {
      runAbort = undefined;
    }
  };

  /** Never overlapping: a tick that finds a run in progress is skipped. */
  const tick = (): Promise<void> => {
    if (running) {
      logger.debug('previous run still in progress; skipping this tick');
      return running;
    }
    running = runOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  const healthLine = (): void => {
    const pending = lastSummary?.pending ?? 0;
    const lagSeconds =
      lastSummary?.newestShippedEnd === undefined ? null : Math.round((Date.now() - lastSummary.newestShippedEnd) / 1000);
    const status = !app ? 'starting' : consecutiveRunFailures >= FAILING_AFTER_RUNS ? 'failing' : consecutiveRunFailures > 0 || (lastSummary?.failed.length ?? 0) > 0 ? 'degraded' : 'ok';
    logger.info(
      {
        status,
        lagSeconds,
        pending,
        failingWindows: lastSummary?.failed.map((f) => formatWindow(f.window)) ?? [],
        consecutiveRunFailures,
        lastRun: lastRunAt ? new Date(lastRunAt).toISOString() : null,
        nextRun: task?.getNextRun()?.toISOString() ?? null,
      },
      'health',
    );
  };
  const healthTimer = setInterval(healthLine, config.healthLogInterval);

  const stop = (): void => {
    if (stopping.signal.aborted) return;
    logger.info('stopping: finishing nothing half-way, no meta.json for an incomplete block');
    stopping.abort();
    runAbort?.abort();
  };

  const done = (async (): Promise<number> => {
    let code = 0;
    try {
      // Prometheus may start after the agent: keep trying to learn the identity, unless the
      // configuration itself is wrong.
      for (let attempt = 1; !app && !stopping.signal.aborted; attempt++) {
        try {
          app = await createApp(config, logger);
        } catch (err) {
          if (err instanceof ConfigError) throw err;
          const waitMs = Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
          logger.error({ err: describeError(err), attempt, retryInSeconds: waitMs / 1000 }, 'cannot start shipping yet');
          await sleep(waitMs, stopping.signal);
        }
      }
      if (app && !stopping.signal.aborted) {
        task = schedule(config.schedule, () => tick(), { noOverlap: true, timezone: 'Etc/UTC', name: 'promship' });
        await tick();
        healthLine();
        await new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
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
      await task?.destroy();
      await running;
      await http.close();
      await app?.close();
      logger.info({ exitCode: code }, 'stopped');
    }
    return code;
  })();

  return { done, stop, port: http.port };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
