/**
 * `promship fleet` and `promship fleet serve`: the bucket-wide view. Only the bucket settings are
 * needed (no Prometheus, no cluster id), and nothing of the agent is loaded: the view reads only
 * what agents and other uploaders wrote into the bucket.
 */
import { openBucket } from '../bucket/open-bucket.ts';
import type { LoadOptions, RawConfigInput } from '../config/load.ts';
import { loadConfigSubset } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { FleetScanner } from './inventory.ts';
import { renderFleet } from './render.ts';
import { fleetReport } from './report.ts';

const FLEET_OPTIONS = [
  'bucket',
  'objstoreConfigFile',
  's3Endpoint',
  's3Region',
  's3ForcePathStyle',
  's3Sse',
  's3SseKmsKeyId',
  's3ChecksumMode',
  's3RequestTimeout',
  's3MaxAttempts',
  'azureAccount',
  'fleetLookback',
  'fleetMaxLag',
  'fleetRefresh',
  'listenAddress',
  'logLevel',
  'logFormat',
] as const;

export type FleetConfig = ReturnType<typeof loadFleetConfig>;

export function loadFleetConfig(input: RawConfigInput, opts: LoadOptions = {}) {
  return loadConfigSubset(input, FLEET_OPTIONS, opts);
}

/** Exit 0 when every label set is healthy, 1 otherwise (2, as always, for bad configuration). */
export async function runFleet(argv: readonly string[], env: RawConfigInput['env']): Promise<number> {
  if (argv[0] === 'serve') {
    const { serveFleet } = await import('./serve.ts');
    return serveFleet(loadFleetConfig({ env, argv: argv.slice(1) }));
  }
  const json = argv.includes('--json');
  const config = loadFleetConfig({ env, argv: argv.filter((a) => a !== '--json') });
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, destination: process.stderr });
  const { bucket, warnings } = await openBucket(config);
  for (const w of warnings) logger.warn({ setting: w }, 'objstore setting ignored');
  try {
    const inventory = await new FleetScanner(bucket, logger).scan();
    const report = fleetReport(inventory, {
      now: Date.now(),
      lookbackMs: config.fleetLookback,
      maxLagMs: config.fleetMaxLag,
    });
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderFleet(report));
    return report.healthy ? 0 : 1;
  } finally {
    await bucket.close();
  }
}
