/**
 * Wires a validated config into the running pieces: the Prometheus client, the bucket, the
 * cluster identity and the shipper. Everything that can be checked before the first window
 * (cluster id, labels, bucket location) is checked here, so a misconfigured agent stops at start.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Bucket } from './bucket/bucket.ts';
import { openBucket } from './bucket/open-bucket.ts';
import { formatDuration } from './config/duration.ts';
import type { Config } from './config/schema.ts';
import { ConfigError } from './errors.ts';
import type { Logger } from './log.ts';
import { RemoteReadClient } from './prometheus/remote-read.ts';
import type { RelabelPlan } from './relabel/plan.ts';
import { resolveIdentity, type Identity } from './shipper/identity.ts';
import { loadInstanceId } from './shipper/instance-id.ts';
import { Shipper } from './shipper/shipper.ts';
import { WindowClaims } from './shipper/window-claims.ts';

export interface App {
  /** This agent's id (kept in the data dir): what its window claims carry. */
  instanceId: string;
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

/** Kubecost's chart sets this cluster id unless told otherwise; many clusters keep it. */
const KUBECOST_DEFAULT_CLUSTER_ID = 'cluster-one';

export interface CreateAppOptions {
  /**
   * Log the configuration summary and ignored objstore settings at info/warn (default). The agent
   * starts a process per run and wants them once, from the first run, not every five minutes.
   */
  announce?: boolean;
  /** Aborts the questions to Prometheus: a run asked to stop must not wait out their timeout. */
  signal?: AbortSignal;
}

/**
 * The relabel rules in force, validated: a bad rule is a ConfigError naming the rule and field.
 * The relabelling code (and its RE2 engine) loads only when there are rules: most clusters ship
 * everything, and every run is a process that compiles what it imports.
 */
async function relabelPlanOf(config: Config): Promise<RelabelPlan | undefined> {
  if (config.relabelConfigFile === undefined && config.relabelPreset === 'none') return undefined;
  const { loadRelabelPlan } = await import('./relabel/plan.ts');
  return loadRelabelPlan({ file: config.relabelConfigFile, preset: config.relabelPreset });
}

export async function createApp(config: Config, logger: Logger, opts: CreateAppOptions = {}): Promise<App> {
  const announce = opts.announce ?? true;
  const relabel = await relabelPlanOf(config);
  const { bucket, warnings } = await openBucket(config);
  for (const w of warnings) logger[announce ? 'warn' : 'debug']({ setting: w }, 'objstore setting ignored');
  const client = createClient(config);
  let identity: Identity;
  try {
    identity = resolveIdentity({
      clusterLabel: config.clusterLabel,
      clusterId: config.clusterId,
      extraLabels: config.externalLabels,
      prometheusLabels: await client.externalLabels(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    await client.close();
    await bucket.close();
    throw err;
  }
  let instanceId: string;
  try {
    await refuseOutOfOrderBeyondDelay(client, config.shipDelay, opts.signal);
    instanceId = await loadInstanceId(config.dataDir);
  } catch (err) {
    await client.close();
    await bucket.close();
    throw err;
  }
  if (identity.clusterId === KUBECOST_DEFAULT_CLUSTER_ID && announce) {
    logger.warn(
      { cluster: identity.clusterId, code: 'PROMSHIP_CLUSTER_ID_DEFAULT' },
      'one writer: cluster id `cluster-one` is the default of the Kubecost Helm chart (prometheus.server.global.external_labels.cluster_id); if another cluster kept it too, both ship as one and one of them is refused with PROMSHIP_CLUSTER_ID_IN_USE: give each cluster its own id',
    );
  }
  const claims = new WindowClaims({
    bucket,
    clusterId: identity.clusterId,
    instanceId,
    staleAfterMs: config.claimTimeout,
    startedAt: Date.now(),
    host: hostname(),
  });
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
    claims,
    announce,
    oldestData: (signal) => client.lowestTimestamp(signal ? { signal } : {}),
    relabel,
  });
  logger[announce ? 'info' : 'debug'](
    {
      cluster: identity.clusterId,
      instance: instanceId,
      labels: identity.thanosLabels,
      bucket: bucket.description,
      prometheus: config.prometheusUrl,
      dataDir: join(config.dataDir),
      ...(relabel
        ? {
            relabel: {
              preset: relabel.preset,
              rules: relabel.userRules,
              rulesHash: relabel.hash,
              queries: relabel.queries?.length ?? 1,
            },
          }
        : {}),
    },
    'promship configured',
  );
  return {
    instanceId,
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

/**
 * Prometheus still accepts samples into a window for `out_of_order_time_window` after it ends. A
 * window shipped before that has passed would miss them, and a later block with them would
 * overlap: refused at start, like any bad setting.
 */
async function refuseOutOfOrderBeyondDelay(
  client: RemoteReadClient,
  shipDelayMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const window = await client.outOfOrderTimeWindow(signal ? { signal } : {});
  if (window > shipDelayMs) {
    throw new ConfigError(
      `invalid PROMSHIP_SHIP_DELAY: Prometheus' storage.tsdb.out_of_order_time_window (${formatDuration(window)}) is longer than PROMSHIP_SHIP_DELAY (${formatDuration(shipDelayMs)}), so samples could arrive in a window after it was shipped; set PROMSHIP_SHIP_DELAY to at least ${formatDuration(window)} (see docs/one-writer.md)`,
    );
  }
}
