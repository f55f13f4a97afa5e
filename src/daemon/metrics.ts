/**
 * What an operator graphs and alerts on. Names follow Prometheus conventions (`_total` counters,
 * `_seconds`, `_bytes`); no label ever carries a credential or an error message, only stable
 * error codes, so cardinality stays small.
 */
import { createRequire } from 'node:module';
import type { RunReport } from './run-protocol.ts';

// prom-client is CommonJS, and loaded with require(), as pino is (src/log.ts). Here, loaded after
// TurboFan is off, an ES import would cost only the export lexer's own memory (some 0.3 MiB), but
// one rule for the agent keeps test/daemon/agent-footprint.int.test.ts simple: the lexer never
// runs in it.
const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = createRequire(import.meta.url)(
  'prom-client',
) as typeof import('prom-client');

export class ShipperMetrics {
  readonly registry = new Registry();
  private newestShippedEnd: number | undefined;
  /** Start of the oldest window the last run considered; the lag of an agent that never shipped counts from it. */
  private plannedFrom: number | undefined;

  readonly blocksShipped = new Counter({
    name: 'promship_blocks_shipped_total',
    help: 'Blocks uploaded to the bucket.',
    registers: [this.registry],
  });
  readonly bytesUploaded = new Counter({
    name: 'promship_uploaded_bytes_total',
    help: 'Bytes of block files uploaded (chunks and index).',
    registers: [this.registry],
  });
  readonly samplesUploaded = new Counter({
    name: 'promship_uploaded_samples_total',
    help: 'Samples in uploaded blocks.',
    registers: [this.registry],
  });
  readonly seriesUploaded = new Counter({
    name: 'promship_uploaded_series_total',
    help: 'Series in uploaded blocks (summed over blocks).',
    registers: [this.registry],
  });
  readonly relabelDroppedSeries = new Counter({
    name: 'promship_relabel_dropped_series_total',
    help: 'Series the relabel rules (preset and PROMSHIP_RELABEL_CONFIG_FILE) dropped from shipped windows.',
    registers: [this.registry],
  });
  readonly relabelDroppedSamples = new Counter({
    name: 'promship_relabel_dropped_samples_total',
    help: 'Samples of the series the relabel rules dropped from shipped windows.',
    registers: [this.registry],
  });
  readonly relabelMergedSeries = new Counter({
    name: 'promship_relabel_merged_series_total',
    help: 'Series merged into another because relabelling gave them the same labels (see docs/relabel.md).',
    registers: [this.registry],
  });
  readonly relabelDuplicateSamples = new Counter({
    name: 'promship_relabel_duplicate_samples_total',
    help: 'Samples dropped while merging relabelled series, where two had one at the same timestamp.',
    registers: [this.registry],
  });
  readonly windowFailures = new Counter({
    name: 'promship_window_failures_total',
    help: 'Windows that failed to ship, by error code.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly windowsOvertaken = new Counter({
    name: 'promship_windows_overtaken_total',
    help: 'Windows that kept failing until the compactor merged blocks around them (PROMSHIP_WINDOW_OVERTAKEN): their data can no longer be shipped.',
    registers: [this.registry],
  });
  readonly runFailures = new Counter({
    name: 'promship_run_failures_total',
    help: 'Runs that failed before shipping any window (e.g. bucket or Prometheus unreachable), by error code.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly runs = new Counter({
    name: 'promship_runs_total',
    help: 'Shipping runs, by result: success (no window failing), partial (some windows failed or wait for their retry), error (the run itself failed), skipped (another run was shipping from the data dir).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly runDuration = new Histogram({
    name: 'promship_run_duration_seconds',
    help: 'Duration of shipping runs.',
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'promship_last_success_timestamp_seconds',
    help: 'When a run last finished with no failed window (Unix seconds).',
    registers: [this.registry],
  });
  readonly pendingWindows = new Gauge({
    name: 'promship_pending_windows',
    help: 'Complete windows not yet shipped after the last run (failed or waiting to retry).',
    registers: [this.registry],
  });
  readonly runPeakRss = new Gauge({
    name: 'promship_run_peak_rss_bytes',
    help: "Peak resident memory of the last run's process (runs ship in a process of their own; process_resident_memory_bytes is the agent's).",
    registers: [this.registry],
  });
  readonly clusterIdInUse = new Gauge({
    name: 'promship_cluster_id_in_use',
    help: 'Whether this agent stopped shipping because another live instance ships the same cluster labels (PROMSHIP_CLUSTER_ID_IN_USE): 1, else 0.',
    registers: [this.registry],
  });
  readonly windowsClaimedElsewhere = new Counter({
    name: 'promship_windows_claimed_elsewhere_total',
    help: 'Windows this agent left alone because another instance held their claim or published their block.',
    registers: [this.registry],
  });
  readonly up = new Gauge({
    name: 'promship_dependency_up',
    help: 'Whether the last check reached the dependency (1) or not (0).',
    labelNames: ['dependency'],
    registers: [this.registry],
  });

  constructor(
    version: string,
    private readonly now: () => number = Date.now,
  ) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'promship_build_info',
      help: 'Version of promship.',
      labelNames: ['version'],
      registers: [this.registry],
    }).set({ version }, 1);
    // collect() runs with the gauge as `this`; these closures read this object's state. An agent
    // that never shipped must not read 0 (an alert on the lag could never fire on a fresh install
    // that ships nothing): its lag counts from the start of the first window it should have
    // shipped, and is NaN only until its first run reports.
    const lagSeconds = (): number => {
      const from = this.newestShippedEnd ?? this.plannedFrom;
      return from === undefined ? NaN : (this.now() - from) / 1000;
    };
    const neverShipped = (): number => (this.newestShippedEnd === undefined ? 1 : 0);
    const newestEndSeconds = (): number | undefined =>
      this.newestShippedEnd === undefined ? undefined : this.newestShippedEnd / 1000;
    new Gauge({
      name: 'promship_shipping_lag_seconds',
      help: 'Now minus the end of the newest window that has a block in the bucket; while none has, now minus the start of the first window that should have shipped (NaN before the first run reports). Grows while shipping is stuck.',
      registers: [this.registry],
      collect() {
        this.set(lagSeconds());
      },
    });
    new Gauge({
      name: 'promship_never_shipped',
      help: 'Whether the bucket holds no block of this cluster yet, as far as the agent knows (1 from start until a run finds or ships one).',
      registers: [this.registry],
      collect() {
        this.set(neverShipped());
      },
    });
    new Gauge({
      name: 'promship_newest_shipped_window_end_timestamp_seconds',
      help: 'End of the newest window that has a block in the bucket (Unix seconds).',
      registers: [this.registry],
      collect() {
        const value = newestEndSeconds();
        if (value !== undefined) this.set(value);
      },
    });
  }

  recordRun(report: RunReport): void {
    for (const b of report.shipped) {
      this.blocksShipped.inc();
      this.bytesUploaded.inc(b.bytes);
      this.samplesUploaded.inc(b.samples);
      this.seriesUploaded.inc(b.series);
      if (b.relabel) {
        this.relabelDroppedSeries.inc(b.relabel.droppedSeries);
        this.relabelDroppedSamples.inc(b.relabel.droppedSamples);
        this.relabelMergedSeries.inc(b.relabel.mergedSeries);
        this.relabelDuplicateSamples.inc(b.relabel.duplicateSamples);
      }
    }
    for (const f of report.failed) this.windowFailures.inc({ reason: f.code });
    if (report.overtaken > 0) this.windowsOvertaken.inc(report.overtaken);
    // A window waiting for its retry is still failing, though this run did not try it.
    const failing = report.failed.length > 0 || report.retrying.length > 0;
    this.runs.inc({ result: failing ? 'partial' : 'success' });
    this.runDuration.observe(report.durationMs / 1000);
    this.pendingWindows.set(report.pending);
    if (!failing) this.lastSuccess.set(this.now() / 1000);
    if (report.newestShippedEnd !== undefined) this.newestShippedEnd = report.newestShippedEnd;
    this.plannedFrom = report.plannedFrom;
  }

  /** A run that found another one shipping from the data dir: counted, but neither a failure nor a success. */
  recordRunSkipped(): void {
    this.runs.inc({ result: 'skipped' });
  }

  recordRunError(code: string, durationMs: number): void {
    this.runs.inc({ result: 'error' });
    this.runFailures.inc({ reason: code });
    this.runDuration.observe(durationMs / 1000);
  }
}
