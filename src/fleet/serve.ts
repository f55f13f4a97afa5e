/**
 * `promship fleet serve`: the fleet view for the primary cluster. Every PROMSHIP_FLEET_REFRESH it
 * lists the bucket (new meta.json files are read once and cached) and keeps the report; /metrics
 * and the page are rendered from the last report, so a scrape or a page view never touches the
 * bucket. /healthz: the process serves; /readyz: a refresh has succeeded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openBucket } from '../bucket/open-bucket.ts';
import { describeError } from '../errors.ts';
import { createLogger, type Logger } from '../log.ts';
import { parseListenAddress } from '../config/listen-address.ts';
import type { FleetConfig } from './command.ts';
import { renderFleetMetrics, type RefreshStats } from './exposition.ts';
import { FleetScanner } from './inventory.ts';
import { renderFleetPage, type SortKey } from './page.ts';
import { fleetReport, type FleetReport } from './report.ts';

export interface FleetServer {
  port: number;
  server: Server;
  /** Refreshes now (tests; the timer does the same). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

async function startFleetServer(config: FleetConfig, logger: Logger): Promise<FleetServer> {
  const { bucket, warnings } = await openBucket(config);
  for (const w of warnings) logger.warn({ setting: w }, 'objstore setting ignored');
  const scanner = new FleetScanner(bucket, logger);
  const stats: RefreshStats = { lastDurationSeconds: undefined, lastSuccessAt: undefined, errors: 0, refreshes: 0 };
  let report: FleetReport | undefined;
  let lastError: string | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const refreshOnce = async (): Promise<void> => {
    const started = Date.now();
    stats.refreshes++;
    try {
      const inventory = await scanner.scan();
      stats.errors += inventory.problems.length;
      report = fleetReport(inventory, {
        now: Date.now(),
        lookbackMs: config.fleetLookback,
        maxLagMs: config.fleetMaxLag,
      });
      stats.lastSuccessAt = Date.now();
      lastError = undefined;
      logger.info(
        {
          labelSets: report.clusters.length,
          unhealthy: report.clusters.filter((c) => !c.healthy).length,
          metaDownloads: scanner.metaDownloads,
          durationMs: Date.now() - started,
        },
        'fleet refreshed',
      );
    } catch (err) {
      stats.errors++;
      lastError = describeError(err);
      logger.error(
        { code: 'PROMSHIP_FLEET_REFRESH_FAILED', err: lastError },
        'fleet refresh failed; serving the last view',
      );
    } finally {
      stats.lastDurationSeconds = (Date.now() - started) / 1000;
    }
  };
  const refresh = (): Promise<void> => (running ??= refreshOnce().finally(() => (running = undefined)));
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void refresh().then(schedule), config.fleetRefresh);
    timer.unref();
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'method not allowed\n');
      return;
    }
    switch (url.pathname) {
      case '/metrics': {
        send(200, renderFleetMetrics(report, stats, Date.now()), 'text/plain; version=0.0.4; charset=utf-8');
        return;
      }
      case '/healthz': {
        send(200, 'ok\n');
        return;
      }
      case '/readyz': {
        if (report) send(200, `ready: ${report.clusters.length} label set(s)\n`);
        else send(503, `not ready: no refresh has succeeded yet${lastError ? ` (${lastError})` : ''}\n`);
        return;
      }
      case '/': {
        const sortParam = url.searchParams.get('sort');
        const sort: SortKey = sortParam === 'labels' || sortParam === 'heartbeat' ? sortParam : 'lag';
        const desc = (url.searchParams.get('order') ?? (sort === 'labels' ? 'asc' : 'desc')) === 'desc';
        send(200, renderFleetPage(report, sort, desc, lastError), 'text/html; charset=utf-8');
        return;
      }
      default: {
        send(404, 'not found\n');
        return;
      }
    }
  });
  const { host, port } = parseListenAddress(config.listenAddress);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  void refresh().then(schedule);
  return {
    port: (server.address() as AddressInfo).port,
    server,
    refresh,
    async close() {
      stopped = true;
      clearTimeout(timer);
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      await running;
      await bucket.close();
    },
  };
}

/** Runs until SIGTERM or SIGINT; exit 0 after a clean stop. */
export async function serveFleet(config: FleetConfig): Promise<number> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const fleet = await startFleetServer(config, logger);
  logger.info(
    { listen: config.listenAddress, port: fleet.port, refresh: config.fleetRefresh },
    'promship fleet serving /metrics, /, /healthz and /readyz',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => {
      resolve();
    });
    process.once('SIGINT', () => {
      resolve();
    });
  });
  await fleet.close();
  logger.info('promship fleet stopped');
  return 0;
}
