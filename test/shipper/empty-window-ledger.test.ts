/**
 * A window that turns out to have no samples is done, whether or not the ledger can record it: a
 * ledger save that fails afterwards is bookkeeping, as after a shipped block, and must not turn
 * the window into a failed one (the failure metric, the `window failed` line, a retry after
 * backoff). The window with samples beside it is the control: the same failing saves, shipped.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { BucketError } from '../../src/errors.ts';
import { agent, counterSource, fileBucketWith, HOUR } from '../helpers/shipper-harness.ts';
import { tempDir } from '../helpers/tmp.ts';

for (const withSamples of [true, false]) {
  t.test(`a window ${withSamples ? 'with' : 'without'} samples, every ledger save refused`, async (t) => {
    const dir = await tempDir(t);
    const bucket = fileBucketWith(join(dir, 'bucket'), (files) => ({
      put(key: string, body: Uint8Array | string) {
        if (key.endsWith('/ledger.json'))
          return Promise.reject(new BucketError('PROMSHIP_BUCKET_SERVER_ERROR', `HTTP 503 writing ${key}`, { key }));
        return files.put(key, body);
      },
    }));
    // Five minutes into an hour: with a one-hour window, no ship delay and one hour of backfill,
    // exactly the hour before is due.
    const now = Math.floor(Date.now() / HOUR) * HOUR + 5 * 60_000;
    const warnings: string[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) },
    );
    const shipper = agent({
      bucket,
      dataDir: join(dir, 'data'),
      instance: 'a',
      blockDurationMs: HOUR,
      now: () => now,
      source: counterSource(() => !withSamples),
      maxBackfillMs: HOUR,
      logger,
    });
    const summary = await shipper.runOnce();
    t.same(
      { shipped: summary.shipped.length, empty: summary.empty.length, failed: summary.failed.length },
      { shipped: withSamples ? 1 : 0, empty: withSamples ? 0 : 1, failed: 0 },
      'the window is done, not failed',
    );
    t.equal(summary.pending, 0, 'and nothing is left to retry');
    t.ok(
      warnings.some((m) => /could not record the (shipped|empty) window in the ledger/.test(m)),
      `the failed save is a warning (${JSON.stringify(warnings)})`,
    );
  });
}
