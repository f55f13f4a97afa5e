import { join } from 'node:path';
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { Ledger, ledgerKey } from '../../src/shipper/ledger.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('the stored ledger keeps claims, failures and empty windows; shipped ones only as ranges', async (t) => {
  const bucket = new FileBucket(join(await tempDir(t), 'bucket'));
  const { ledger } = await Ledger.load(bucket, 'c1', { cluster_id: 'c1' });
  const H = 3_600_000;
  for (let i = 0; i < 100; i++)
    ledger.set({ start: i * H, end: (i + 1) * H, state: 'shipped', ulid: '01JAAAAAAAAAAAAAAAAAAAAAAA', shippedAt: 1 });
  ledger.set({ start: 100 * H, end: 101 * H, state: 'claimed', ulid: '01JBBBBBBBBBBBBBBBBBBBBBBB', claimedAt: 2 });
  ledger.set({ start: 101 * H, end: 102 * H, state: 'failed', attempts: 2, nextRetryAt: 3 });
  ledger.set({ start: 102 * H, end: 103 * H, state: 'empty', shippedAt: 4 });
  await ledger.save(5);

  const stored = JSON.parse(Buffer.from((await bucket.get(ledgerKey('c1')))!).toString('utf8')) as {
    windows: { state: string }[];
  };
  t.same(
    stored.windows.map((w) => w.state),
    ['claimed', 'failed', 'empty'],
    'no entry per shipped window',
  );
  t.same(
    (stored as unknown as { shipped: unknown }).shipped,
    [[0, 100 * H]],
    'a hundred shipped windows are one range',
  );
  const { ledger: reloaded } = await Ledger.load(bucket, 'c1', { cluster_id: 'c1' });
  t.equal(
    reloaded.get({ start: 100 * H, end: 101 * H })?.ulid,
    '01JBBBBBBBBBBBBBBBBBBBBBBB',
    'a claim survives a restart',
  );
  t.equal(reloaded.get({ start: 0, end: H }), undefined);
  t.equal(reloaded.updatedAt, 5);
});

t.test('shipped ranges merge, survive a reload, and are pruned at the horizon', async (t) => {
  const bucket = new FileBucket(join(await tempDir(t), 'bucket'));
  const { ledger } = await Ledger.load(bucket, 'c1', { cluster_id: 'c1' });
  const H = 3_600_000;
  ledger.markShipped({ start: 4 * H, end: 6 * H });
  ledger.markShipped({ start: 0, end: 2 * H });
  ledger.markShipped({ start: 10 * H, end: 12 * H });
  ledger.markShipped({ start: 2 * H, end: 4 * H }); // joins the first two
  ledger.markShipped({ start: 11 * H, end: 11 * H + 1 }); // inside the last
  t.same(ledger.shippedRanges(), [
    { start: 0, end: 6 * H },
    { start: 10 * H, end: 12 * H },
  ]);
  ledger.plannedFrom = 2 * H;
  await ledger.save(1);
  const { ledger: reloaded } = await Ledger.load(bucket, 'c1', { cluster_id: 'c1' });
  t.same(reloaded.shippedRanges(), ledger.shippedRanges(), 'reloaded as saved');
  t.equal(reloaded.plannedFrom, 2 * H, 'with the last planning horizon');
  reloaded.prune(5 * H);
  t.same(
    reloaded.shippedRanges(),
    [
      { start: 5 * H, end: 6 * H },
      { start: 10 * H, end: 12 * H },
    ],
    'cut at the horizon',
  );

  // A damaged range is dropped, not trusted.
  await bucket.put(
    ledgerKey('c1'),
    JSON.stringify({
      version: 1,
      windows: [],
      shipped: [
        [5, 1],
        ['a', 2],
        [1, 2],
      ],
    }),
  );
  t.same((await Ledger.load(bucket, 'c1', { cluster_id: 'c1' })).ledger.shippedRanges(), [{ start: 1, end: 2 }]);
});

t.test('a ledger kept for other external labels is not the memory of this label set', async (t) => {
  const bucket = new FileBucket(join(await tempDir(t), 'bucket'));
  const H = 3_600_000;
  const { ledger } = await Ledger.load(bucket, 'c1', { cluster_id: 'c1', env: 'wrong' });
  ledger.markShipped({ start: 0, end: 6 * H });
  ledger.set({ start: 6 * H, end: 8 * H, state: 'failed', attempts: 1 });
  await ledger.save(1);
  const { ledger: mine, problem } = await Ledger.load(bucket, 'c1', { cluster_id: 'c1' });
  t.same(mine.shippedRanges(), [], 'no shipped range');
  t.same(mine.all(), [], 'no entry');
  t.match(
    problem,
    /was kept for the external labels \{"cluster_id":"c1","env":"wrong"\}, not \{"cluster_id":"c1"\}; starting a new one/,
  );
  const { ledger: same } = await Ledger.load(bucket, 'c1', { env: 'wrong', cluster_id: 'c1' });
  t.same(same.shippedRanges(), [{ start: 0, end: 6 * H }], 'the same labels in another order read it');
});

t.test('one run with a short backfill keeps the shipped ranges the agent needs', async (t) => {
  const bucket = new FileBucket(join(await tempDir(t), 'bucket'));
  const { ledger } = await Ledger.load(bucket, 'c1', { cluster_id: 'c1' });
  const D = 86_400_000;
  ledger.markShipped({ start: 0, end: 20 * D });
  ledger.set({ start: 2 * D, end: 2 * D + 7_200_000, state: 'failed', attempts: 1 });
  ledger.prune(19 * D, 0);
  t.same(ledger.all(), [], 'entries go with the horizon of the run');
  t.same(ledger.shippedRanges(), [{ start: 0, end: 20 * D }], 'ranges stay');
});
