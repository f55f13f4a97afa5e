/**
 * What a run process tells the agent that started it, over the IPC channel. Runs happen in their
 * own process so that the agent keeps no shipping code, client or buffer between runs; only
 * plain data crosses the boundary. Even the configuration is validated there: the agent learns
 * the few settings it needs from its first run and never loads the schema itself.
 */
import type { Config } from '../config/schema.ts';
import type { RunSummary } from '../shipper/shipper.ts';
import type { ShippedBlock } from '../shipper/ship-window.ts';
import type { Window } from '../series.ts';

/** What the agent keeps of a run: enough for metrics, the health line and /readyz. */
export interface RunReport {
  shipped: Pick<ShippedBlock, 'window' | 'ulid' | 'series' | 'samples' | 'bytes' | 'relabel'>[];
  failed: { window: Window; code: string; message: string }[];
  /** Windows that failed on an earlier run and wait for their retry: still failing, not tried. */
  retrying: { window: Window; code: string; message: string }[];
  pending: number;
  newestShippedEnd: number | undefined;
  /** See RunSummary.plannedFrom. */
  plannedFrom: number;
  /** See RunSummary.overtaken. */
  overtaken: number;
  durationMs: number;
  /** Windows left to the instance that claimed them. */
  claimedElsewhere: number;
  /** Set when another live instance ships this cluster's labels: the agent stops shipping. */
  clusterIdInUse?: { fields: Record<string, unknown>; message: string };
}

/** A dependency as the run process last found it; `detail` never holds a credential. */
export interface DependencyCheck {
  ok: boolean;
  detail: string;
}

export interface Dependencies {
  prometheus?: DependencyCheck;
  bucket?: DependencyCheck;
}

/** The settings the agent itself uses; the rest of the configuration matters only to runs. */
export type AgentSettings = Pick<
  Config,
  'listenAddress' | 'healthLogInterval' | 'logLevel' | 'logFormat' | 'prometheusTimeout'
>;

export function agentSettings(config: Config): AgentSettings {
  const { listenAddress, healthLogInterval, logLevel, logFormat, prometheusTimeout } = config;
  return { listenAddress, healthLogInterval, logLevel, logFormat, prometheusTimeout };
}

/**
 * Progress before the final report: `settings` as soon as the configuration is valid, `started`
 * once the cluster's identity is learned and shipping begins, `window` as each window it tries
 * ends (shipped or not).
 */
export type ProgressMessage = SettingsMessage | { type: 'started' } | { type: 'window' };

/**
 * `schedulePeriodMs`: between the schedule's next two firings, sent by the run of role `first`
 * only (the agent keeps that run's settings alone); the agent's fallback after a crash and its
 * measure of a stalled run.
 */
export type SettingsMessage = { type: 'settings'; settings: AgentSettings; schedulePeriodMs: number | undefined };

export type RunMessage =
  /** The run ended (some windows may have failed); the process exits next. */
  | {
      type: 'finished';
      report: RunReport;
      dependencies: Dependencies;
      peakRssBytes: number;
      nextRunAt: number | undefined;
    }
  /**
   * The run could not ship anything; `config` is set when the configuration itself is wrong (the
   * agent then stops at start, as for any configuration error).
   */
  | {
      type: 'failed';
      config: boolean;
      code: string;
      message: string;
      dependencies: Dependencies;
      peakRssBytes: number;
      /** When the schedule fires next (ms); undefined when the configuration could not be read. */
      nextRunAt: number | undefined;
    }
  /**
   * The run shipped nothing because another run holds the data dir's run lock (`promship once`
   * started by hand, say): not a failure, the next firing tries again. `code` is
   * PROMSHIP_RUN_LOCKED, `message` names the holder.
   */
  | {
      type: 'skipped';
      code: string;
      message: string;
      holderPid: number;
      dependencies: Dependencies;
      peakRssBytes: number;
      nextRunAt: number | undefined;
    };

/** What the agent sends to a run process. */
export type AgentMessage = { type: 'stop' };

/**
 * A run's place among the agent's runs, its process's first argument: the agent's very first run
 * (whose settings the agent keeps), a later run while the cluster's identity is still unknown
 * (it announces the configuration again), or any run after that.
 */
export type RunRole = 'first' | 'starting' | 'next';

export function toRunReport(summary: RunSummary, clusterIdInUse?: RunReport['clusterIdInUse']): RunReport {
  return {
    claimedElsewhere: summary.claimedElsewhere.length,
    ...(clusterIdInUse ? { clusterIdInUse } : {}),
    shipped: summary.shipped.map(({ window, ulid, series, samples, bytes, relabel }) => ({
      window,
      ulid,
      series,
      samples,
      bytes,
      ...(relabel ? { relabel } : {}),
    })),
    failed: summary.failed.map((f) => ({ window: f.window, code: f.error.code, message: f.error.message })),
    retrying: summary.retrying.map((e) => ({
      window: { start: e.start, end: e.end },
      code: e.lastErrorCode ?? 'PROMSHIP_WINDOW_FAILED',
      message: e.lastError ?? 'failed on an earlier run',
    })),
    pending: summary.pending,
    newestShippedEnd: summary.newestShippedEnd,
    plannedFrom: summary.plannedFrom,
    overtaken: summary.overtaken,
    durationMs: summary.durationMs,
  };
}

export function isRunMessage(value: unknown): value is RunMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'finished' || type === 'failed' || type === 'skipped';
}

export function isProgressMessage(value: unknown): value is ProgressMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'settings' || type === 'started' || type === 'window';
}
