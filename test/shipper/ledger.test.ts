import { join } from 'node:path';
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { Ledger, ledgerKey } from '../../src/shipper/ledger.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('the stored ledger keeps claims, failures and empty windows, not shipped ones', async (t) => {
  const bucket = new FileBucket(join(await tempDir(t), 'bucket'));
  const { ledger } = await Ledger.load(bucket, 'c1', { cluster_id: 'c1' });
  const H = 3_600_000;
  for (let i = 0; i < 100; i++) ledger.set({ start: i * H, end: (i + 1) * H, state: 'shipped', ulid: '01JAAAAAAAAAAAAAAAAAAAAAAA', shippedAt: 1 });
  ledger.set({ start: 100 * H, end: 101 * H, state: 'claimed', ulid: '01JBBBBBBBBBBBBBBBBBBBBBBB', claimedAt: 2 });
  ledger.set({ start: 101 * H, end: 102 * H, state: 'failed', attempts: 2, nextRetryAt: 3 });
  ledger.set({ start: 102 * H, end: 103 * H, state: 'empty', shippedAt: 4 });
  await ledger.save(5);

  const stored = JSON.parse(Buffer.from((await bucket.get(ledgerKey('c1')))!).toString('utf8')) as { windows: { state: string }[] };
  t.same(stored.windows.map((w) => w.state), ['claimed', 'failed', 'empty'], 'shipped windows are left to the blocks');
  const { ledger: reloaded } = await Ledger.load(bucket, 'c1', { cluster_id: 'c1' });
  t.equal(reloaded.get({ start: 100 * H, end: 101 * H })?.ulid, '01JBBBBBBBBBBBBBBBBBBBBBBB', 'a claim survives a restart');
  t.equal(reloaded.get({ start: 0, end: H }), undefined);
  t.equal(reloaded.updatedAt, 5);
});
