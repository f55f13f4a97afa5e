/**
 * A window is claimed in the ledger before anything is read. When that claim cannot be saved
 * (the bucket refuses the ledger's PUT), the window fails at the `claim` stage, saying so, and
 * nothing of it reaches the bucket; once the bucket accepts writes again, it ships.
 */
import { join } from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { BucketError } from '../../src/errors.ts';
import { RemoteReadClient } from '../../src/prometheus/remote-read.ts';
import { Shipper } from '../../src/shipper/shipper.ts';
import { M, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('a claim that cannot be saved fails the window at the claim stage, uploading nothing', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { windows: 1 });
  const files = new FileBucket(join(dir, 'bucket'));
  let refuseLedger = true;
  const bucket: Bucket = Object.assign(Object.create(files) as Bucket, {
    put(key: string, body: Uint8Array | string) {
      if (refuseLedger && key.endsWith('ledger.json'))
        return Promise.reject(
          new BucketError('PROMSHIP_BUCKET_ACCESS_DENIED', `access denied writing ${key}`, { key }),
        );
      return files.put(key, body);
    },
  });
  const client = new RemoteReadClient({ url: source.prometheus.url, timeoutMs: 30_000 });
  t.teardown(() => client.close());
  const shipper = new Shipper({
    source: client,
    bucket,
    dataDir: join(dir, 'data'),
    clusterId: source.external.cluster_id!,
    thanosLabels: source.external,
    stripLabels: Object.entries(source.external).sort(([a], [b]) => (a < b ? -1 : 1)),
    blockDurationMs: 2 * 60 * M,
    shipDelayMs: 0,
    maxBackfillMs: 86_400_000,
    logger: pino({ level: 'silent' }),
  });

  const refused = await shipper.runOnce();
  t.equal(refused.shipped.length, 0);
  t.ok(refused.failed.length >= 1, `${refused.failed.length} window(s) failed`);
  for (const f of refused.failed) {
    t.equal(f.error.stage, 'claim');
    t.equal(f.error.code, 'PROMSHIP_BUCKET_ACCESS_DENIED', 'the code is the bucket error');
    t.match(f.error.message, /failed while claiming it in the ledger: access denied/);
  }
  t.same(await files.listChildren(''), [], 'nothing was written to the bucket');

  refuseLedger = false;
  const after = await shipper.runOnce({ ignoreBackoff: true });
  t.equal(after.failed.length, 0);
  t.equal(after.shipped.length + after.empty.length, refused.failed.length, 'every refused window is tried again');
  t.same(
    new Set(after.shipped.map((b) => b.window.start)),
    source.windowsWithData(2 * 60 * M),
    'and each window with data ships',
  );
});
