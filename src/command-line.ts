/**
 * The command line: thin on purpose. Exit codes: 0 success, 1 a window or run failed (details in
 * the log), 2 invalid configuration (one line on stderr, no stack trace). Loaded by src/cli.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Labels } from './labels.ts';
import type { Identity } from './shipper/identity.ts';
import type { RawConfigInput } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { ConfigError, describeError, promshipCode } from './errors.ts';
import { createLogger, type Logger } from './log.ts';
import { VERSION } from './version.ts';

// The AWS SDK prints a nine-line notice about the Node versions of its future releases, once per
// process, on stderr in the middle of the JSON log; every run is a process. The supported Node
// versions are the README's and package.json's business. Set before any command loads the SDK;
// run processes inherit it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Each command loads only what it uses. `run` above all: its idle memory is the agent's footprint
// on every cluster, so it loads neither the S3 SDK nor the HTTP client nor even the config schema
// (its runs do, each in a process of its own).
const loadConfig = async (input: RawConfigInput): Promise<Config> =>
  (await import('./config/load.ts')).loadConfig(input);

const usage =
  async (): Promise<string> => `promship ${VERSION}: ships this cluster's Prometheus data as Thanos blocks into the global bucket.

Usage: promship <command> [flags]

Commands:
  run       The agent: ship complete windows on a schedule, serve /metrics,
            /healthz and /readyz, stop cleanly on SIGTERM.
  once      Ship every complete, unshipped window oldest first, then exit
            (exit 1 if any window failed, after trying all of them, or at
            once if another run is shipping from the data dir).
  status    Print what the bucket and ledger say about this cluster's
            shipping (--json for a machine-readable form).
  verify    Download and check every block of this cluster in the bucket:
            meta, sizes, CRCs, overlaps, gaps (--json; exit 1 on problems).
  fleet     Every label set in the bucket: lag, gaps, overlaps, heartbeats
            (--json; exit 1 unless all are healthy). Needs only the bucket.
  fleet serve
            The same as /metrics and an HTML page on PROMSHIP_LISTEN_ADDRESS,
            refreshed every PROMSHIP_FLEET_REFRESH.
  demo      Start a local Prometheus with generated history, ship it into a
            local directory bucket and print what was shipped.
  help      Show this help.
  version   Print the version.

Every flag can also be given as its environment variable; a flag wins.
${(await import('./config/load.ts')).optionsHelp()}
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(await usage());
      return command === undefined ? 2 : 0;
    case 'version':
    case '--version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'run': {
      // From the start: a SIGTERM while the agent is still starting must stop it too (and Node
      // as PID 1 in a container ignores a SIGTERM it has no handler for).
      const stopping = new AbortController();
      process.once('SIGTERM', () => stopping.abort());
      process.once('SIGINT', () => stopping.abort());
      const { startDaemon } = await import('./daemon/daemon.ts');
      const daemon = await startDaemon({ version: VERSION, flags: rest, stopSignal: stopping.signal });
      return daemon.done;
    }
    case 'once': {
      const config = await loadConfig({ env: process.env, argv: rest });
      return runOnce(config, createLogger({ level: config.logLevel, format: config.logFormat }));
    }
    case 'status':
    case 'verify': {
      const json = rest.includes('--json');
      const config = await loadConfig({ env: process.env, argv: rest.filter((a) => a !== '--json') });
      const logger = createLogger({ level: config.logLevel, format: config.logFormat, destination: process.stderr });
      return command === 'status' ? runStatus(config, logger, json) : runVerify(config, logger, json);
    }
    case 'fleet': {
      const { runFleet } = await import('./fleet/command.ts');
      return runFleet(rest, process.env);
    }
    case 'demo': {
      const config = await loadConfig({ env: { PROMSHIP_LOG_FORMAT: 'pretty', ...process.env }, argv: rest });
      const { runDemo } = await import('./demo/demo.ts');
      return runDemo(config, createLogger({ level: config.logLevel, format: config.logFormat }));
    }
    default:
      throw new ConfigError(`unknown command '${command}'; see 'promship --help'`);
  }
}

async function runOnce(config: Config, logger: Logger): Promise<number> {
  const [{ createApp }, { acquireRunLock }, { writeRunHeartbeat }, { schedulePeriod }] = await Promise.all([
    import('./app.ts'),
    import('./shipper/run-lock.ts'),
    import('./shipper/run-heartbeat.ts'),
    import('./config/next-run.ts'),
  ]);
  const runStartedAt = Date.now();
  // The configuration is judged in full first (the bucket, the cluster's identity): a wrong
  // setting is exit 2 with its one line, whether or not another run is shipping.
  const app = await createApp(config, logger);
  try {
    // Never beside another run of this data dir (the agent's, or another `once`): both would ship
    // the same windows.
    const lock = await acquireRunLock({ dataDir: config.dataDir, command: 'once', logger });
    // Ctrl-C or SIGTERM still end the run at once, as they always did, but without leaving the
    // lock to be taken over.
    const onSignal = (signal: NodeJS.Signals): void => {
      lock.releaseSync();
      process.kill(process.pid, signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // `once` is a run like the agent's: it leaves a heartbeat too (same data dir, same instance),
    // written after the windows as the agent's runs write theirs.
    const heartbeat = () => ({
      bucket: app.bucket,
      logger,
      dataDir: config.dataDir,
      cluster: app.identity.clusterId,
      labels: app.identity.thanosLabels,
      agentVersion: VERSION,
      blockDurationMs: config.blockDuration,
      shipDelayMs: config.shipDelay,
      scheduleIntervalMs: schedulePeriod(config.schedule) ?? 0,
      runStartedAt,
    });
    try {
      const summary = await app.shipper.runOnce({ ignoreBackoff: true });
      await writeRunHeartbeat(heartbeat(), { summary });
      if (summary.otherWriters.length > 0) {
        const { clusterIdInUseLine } = await import('./shipper/cluster-in-use.ts');
        logger.error(...clusterIdInUseLine(app.identity.clusterId, app.instanceId, summary.otherWriters));
        return 1;
      }
      return summary.failed.length > 0 ? 1 : 0;
    } catch (err) {
      await writeRunHeartbeat(heartbeat(), { result: 'error', code: promshipCode(err, 'PROMSHIP_RUN_FAILED') });
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await lock.release();
    }
  } finally {
    await app.close();
  }
}

/** The cluster's labels for commands that only read the bucket: Prometheus is asked, but optional when the cluster id is configured. */
async function offlineIdentity(config: Config, logger: Logger): Promise<Identity> {
  const [{ createClient }, { resolveIdentity }] = await Promise.all([
    import('./app.ts'),
    import('./shipper/identity.ts'),
  ]);
  const client = createClient(config);
  let prometheusLabels: Labels = [];
  try {
    prometheusLabels = await client.externalLabels();
  } catch (err) {
    if (!config.clusterId) throw err;
    logger.warn(
      { err: describeError(err) },
      "Prometheus unreachable; using only the configured labels, which may miss Prometheus' own external labels",
    );
  } finally {
    await client.close();
  }
  return resolveIdentity({
    clusterLabel: config.clusterLabel,
    clusterId: config.clusterId,
    extraLabels: config.externalLabels,
    prometheusLabels,
  });
}

async function runStatus(config: Config, logger: Logger, json: boolean): Promise<number> {
  const [{ openBucket }, { shippingStatus }, { renderStatus }] = await Promise.all([
    import('./bucket/open-bucket.ts'),
    import('./shipper/status.ts'),
    import('./render-reports.ts'),
  ]);
  const identity = await offlineIdentity(config, logger);
  const { bucket } = await openBucket(config);
  try {
    const report = await shippingStatus(bucket, {
      clusterId: identity.clusterId,
      labels: identity.thanosLabels,
      blockDurationMs: config.blockDuration,
      shipDelayMs: config.shipDelay,
      maxBackfillMs: config.maxBackfill,
    });
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
    return 0;
  } finally {
    await bucket.close();
  }
}

async function runVerify(config: Config, logger: Logger, json: boolean): Promise<number> {
  const [{ openBucket }, { verifyBucket }, { renderVerify }] = await Promise.all([
    import('./bucket/open-bucket.ts'),
    import('./shipper/verify-bucket.ts'),
    import('./render-reports.ts'),
  ]);
  const identity = await offlineIdentity(config, logger);
  const { bucket } = await openBucket(config);
  const scratchDir = await mkdtemp(join(tmpdir(), 'promship-verify-'));
  try {
    const report = await verifyBucket(bucket, { labels: identity.thanosLabels, scratchDir });
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderVerify(report));
    return report.ok ? 0 : 1;
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
    await bucket.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A stray keep-alive socket or timer must not keep a finished command alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`promship: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`promship: ${describeError(err)}\n`);
    process.exitCode = 1;
  },
);
