/**
 * Wires a validated config into the running pieces: the Prometheus client, the bucket, the
 * cluster identity and the shipper. Everything that can be checked before the first window
 * (cluster id, labels, bucket location) is checked here, so a misconfigured agent stops at start.
 */
import { join } from 'node:path';
import type { Bucket } from './bucket/bucket.ts';
import { openBucket } from './bucket/open-bucket.ts';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { RemoteReadClient } from './prometheus/remote-read.ts';
import { loadRelabelPlan, type RelabelPlan } from './relabel/plan.ts';
import { resolveIdentity, type Identity } from './shipper/identity.ts';
import { Shipper } from './shipper/shipper.ts';

export interface App {
  client: RemoteReadClient;
  bucket: Bucket;
  identity: Identity;
  shipper: Shipper;
  close(): Promise<void>;
}

export function createClient(config: Config): RemoteReadClient {
  return new RemoteReadClient({
    url: config.prometheusUrl,
    timeoutMs: config.prometheusTimeout,
    headers: config.prometheusHeaders,
    ...(config.prometheusBearerTokenFile ? { bearerTokenFile: config.prometheusBearerTokenFile } : {}),
    ...(config.prometheusUsername
      ? {
          basicAuth: {
            username: config.prometheusUsername,
            ...(config.prometheusPasswordFile ? { passwordFile: config.prometheusPasswordFile } : {}),
          },
        }
      : {}),
    tls: {
      ...(config.prometheusCaFile ? { caFile: config.prometheusCaFile } : {}),
      ...(config.prometheusCertFile ? { certFile: config.prometheusCertFile } : {}),
      ...(config.prometheusKeyFile ? { keyFile: config.prometheusKeyFile } : {}),
      insecureSkipVerify: config.prometheusInsecureSkipVerify,
    },
  });
}

export interface CreateAppOptions {
  /**
   * Log the configuration summary and ignored objstore settings at info/warn (default). The agent
   * starts a process per run and wants them once, from the first run, not every five minutes.
   */
  announce?: boolean;
}

/** The relabel rules in force, validated: a bad rule is a ConfigError naming the rule and field. */
export function relabelPlanOf(config: Config): RelabelPlan | undefined {
  return loadRelabelPlan({ file: config.relabelConfigFile, preset: config.relabelPreset });
}

export async function createApp(config: Config, logger: Logger, opts: CreateAppOptions = {}): Promise<App> {
  const announce = opts.announce ?? true;
  const relabel = relabelPlanOf(config);
  const { bucket, warnings } = await openBucket(config);
  for (const w of warnings) logger[announce ? 'warn' : 'debug']({ setting: w }, 'objstore setting ignored');
  const client = createClient(config);
  let identity: Identity;
  try {
    identity = resolveIdentity({
      clusterLabel: config.clusterLabel,
      clusterId: config.clusterId,
      extraLabels: config.externalLabels,
      prometheusLabels: await client.externalLabels(),
    });
  } catch (err) {
    await client.close();
    await bucket.close();
    throw err;
  }
  const shipper = new Shipper({
    source: client,
    bucket,
    dataDir: config.dataDir,
    clusterId: identity.clusterId,
    thanosLabels: identity.thanosLabels,
    stripLabels: identity.stripLabels,
    blockDurationMs: config.blockDuration,
    shipDelayMs: config.shipDelay,
    maxBackfillMs: config.maxBackfill,
    backoff: { baseMs: config.retryBackoff, maxMs: Math.max(config.retryBackoff, config.retryBackoffMax) },
    logger,
    oldestData: (signal) => client.lowestTimestamp(signal ? { signal } : {}),
    relabel,
  });
  logger[announce ? 'info' : 'debug'](
    {
      cluster: identity.clusterId,
      labels: identity.thanosLabels,
      bucket: bucket.description,
      prometheus: config.prometheusUrl,
      dataDir: join(config.dataDir),
      ...(relabel ? { relabel: { preset: relabel.preset, rules: relabel.userRules, rulesHash: relabel.hash, queries: relabel.queries?.length ?? 1 } } : {}),
    },
    'promship configured',
  );
  return {
    client,
    bucket,
    identity,
    shipper,
    async close() {
      await client.close();
      await bucket.close();
    },
  };
}
