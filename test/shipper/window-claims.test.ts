/**
 * The claim rules on a real file bucket (exclusive create), with a fake clock: an unclaimed
 * window is claimed at generation 0; the same instance (a crashed run of the same data dir) gets
 * its own claim back with its ULID; another instance's fresh claim is left alone, and is proof
 * of a live writer only when written after this process started; a stale one is taken over by
 * the next generation, after which the old owner's check before meta.json fails. The claim
 * objects are read back from the filesystem, not through the code under test.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { ClaimLostError, WindowClaims } from '../../src/shipper/window-claims.ts';
import { tempDir } from '../helpers/tmp.ts';

const W = { start: 1_800_000_000_000, end: 1_800_000_900_000 };

void t.test('claim, resume, leave alone, take over', async (t) => {
  const root = await tempDir(t);
  const bucket = new FileBucket(root);
  let now = 1_900_000_000_000;
  const claims = (instanceId: string, startedAt = now): WindowClaims =>
    new WindowClaims({ bucket, clusterId: 'c1', instanceId, staleAfterMs: 60_000, startedAt, now: () => now });
  const dir = join(root, 'promship', 'c1', 'claims', `${W.start}-${W.end}`);

  const a = claims('instance-aaaa');
  t.equal(await a.honoursPreconditions(), true, 'the file bucket honours exclusive creates');
  const first = await a.acquire(W, () => 'ULID-A');
  t.match(first, { owned: true, gen: 0, resumed: false, body: { instance: 'instance-aaaa', ulid: 'ULID-A' } });
  t.same(await readdir(dir), ['000000.json']);
  t.match(JSON.parse(await readFile(join(dir, '000000.json'), 'utf8')), {
    instance: 'instance-aaaa',
    ulid: 'ULID-A',
    start: W.start,
    end: W.end,
  });

  const again = await claims('instance-aaaa').acquire(W, () => 'ULID-NEW');
  t.match(
    again,
    { owned: true, gen: 0, resumed: true, body: { ulid: 'ULID-A' } },
    'the same instance resumes its claim and ULID',
  );

  const startedBefore = claims('instance-bbbb', now - 1000);
  t.match(
    await startedBefore.acquire(W, () => 'ULID-B'),
    { owned: false, holder: { instance: 'instance-aaaa' }, live: true },
    'a claim written after we started: a live writer',
  );
  now += 10_000;
  const startedAfter = claims('instance-bbbb');
  t.match(
    await startedAfter.acquire(W, () => 'ULID-B'),
    { owned: false, live: false },
    'a claim from before we started: maybe a dead agent, not proof',
  );

  now += 60_000;
  const taken = await startedAfter.acquire(W, () => 'ULID-B');
  t.match(
    taken,
    {
      owned: true,
      gen: 1,
      body: { instance: 'instance-bbbb', ulid: 'ULID-B' },
      tookOverFrom: { instance: 'instance-aaaa' },
    },
    'a stale claim is taken over',
  );
  t.same((await readdir(dir)).sort(), ['000000.json', '000001.json'], 'by a new generation, the old one untouched');

  if (first.owned) {
    await t.rejects(a.confirm(W, first), ClaimLostError, "the old owner's check before meta.json fails");
  }
  if (taken.owned) await t.resolves(startedAfter.confirm(W, taken), "the new owner's passes");

  t.match(
    await a.acquire(W, () => 'ULID-A2'),
    { owned: false, holder: { instance: 'instance-bbbb' } },
    'and the old owner leaves the window alone',
  );

  t.equal(await a.prune(W.end), 0, 'claims of windows inside the horizon stay');
  t.equal(await a.prune(W.end + 1), 2, 'older ones are deleted');
  t.same(await bucket.listObjects('promship/c1/claims/'), [], 'no claim object left');
  await t.rejects(
    readdir(join(root, 'promship', 'c1', 'claims')),
    { code: 'ENOENT' },
    "nor their directories (the file bucket removes what a delete leaves empty, as Thanos' filesystem store does)",
  );
});
