/**
 * What an operator graphs and alerts on. Names follow Prometheus conventions (`_total` counters,
 * `_seconds`, `_bytes`); no label ever carries a credential or an error message, only stable
 * error codes, so cardinality stays small.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunReport } from './run-protocol.ts';

export class ShipperMetrics {
  readonly registry = new Registry();
  private newestShippedEnd: number | undefined;

  readonly blocksShipped = new Counter({ name: 'promship_blocks_shipped_total', help: 'Blocks uploaded to the bucket.', registers: [this.registry] });
  readonly bytesUploaded = new Counter({ name: 'promship_uploaded_bytes_total', help: 'Bytes of block files uploaded (chunks and index).', registers: [this.registry] });
  readonly samplesUploaded = new Counter({ name: 'promship_uploaded_samples_total', help: 'Samples in uploaded blocks.', registers: [this.registry] });
  readonly seriesUploaded = new Counter({ name: 'promship_uploaded_series_total', help: 'Series in uploaded blocks (summed over blocks).', registers: [this.registry] });
  readonly windowFailures = new Counter({
    name: 'promship_window_failures_total',
    help: 'Windows that failed to ship, by error code.',
    labelNames: ['reason'],
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
  readonly up = new Gauge({
    name: 'promship_dependency_up',
    help: 'Whether the last check reached the dependency (1) or not (0).',
    labelNames: ['dependency'],
    registers: [this.registry],
  });

  constructor(version: string, private readonly now: () => number = Date.now) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'promship_build_info', help: 'Version of promship.', labelNames: ['version'], registers: [this.registry] }).set({ version }, 1);
    // collect() runs with the gauge as `this`; these closures read this object's state.
    const lagSeconds = (): number | undefined =>
      this.newestShippedEnd === undefined ? undefined : (this.now() - this.newestShippedEnd) / 1000;
    const newestEndSeconds = (): number | undefined =>
      this.newestShippedEnd === undefined ? undefined : this.newestShippedEnd / 1000;
    new Gauge({
      name: 'promship_shipping_lag_seconds',
      help: 'Now minus the end of the newest window that has a block in the bucket; grows while shipping is stuck.',
      registers: [this.registry],
      collect() {
        const value = lagSeconds();
        if (value !== undefined) this.set(value);
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
    }
    for (const f of report.failed) this.windowFailures.inc({ reason: f.code });
    // A window waiting for its retry is still failing, though this run did not try it.
    const failing = report.failed.length > 0 || report.retrying.length > 0;
    this.runs.inc({ result: failing ? 'partial' : 'success' });
    this.runDuration.observe(report.durationMs / 1000);
    this.pendingWindows.set(report.pending);
    if (!failing) this.lastSuccess.set(this.now() / 1000);
    if (report.newestShippedEnd !== undefined) this.newestShippedEnd = report.newestShippedEnd;
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
