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

const TWO_HOURS = 7_200_000;
// The first 15 minutes of an aligned 2h range.
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
  // The 2h range the 15-minute window lies in was claimed too: first by A, then taken over by B.
  t.equal(await a.prune(W.start + TWO_HOURS), 0, "the range's claims stay while the range is inside the horizon");
  t.equal(await a.prune(W.start + TWO_HOURS + 1), 2, 'and go once it is not');
  t.same(await bucket.listObjects('promship/c1/claims/'), [], 'no claim object left');
  await t.rejects(
    readdir(join(root, 'promship', 'c1', 'claims')),
    { code: 'ENOENT' },
    "nor their directories (the file bucket removes what a delete leaves empty, as Thanos' filesystem store does)",
  );
});

void t.test('windows of different lengths in one 2h range: one owner for the range', async (t) => {
  const root = await tempDir(t);
  const bucket = new FileBucket(root);
  let now = 1_900_000_000_000;
  const claims = (instanceId: string): WindowClaims =>
    new WindowClaims({
      bucket,
      clusterId: 'c1',
      instanceId,
      staleAfterMs: 60_000,
      startedAt: now - 1000,
      now: () => now,
    });
  const range = { start: W.start, end: W.start + TWO_HOURS };
  const firstHour = { start: range.start, end: range.start + TWO_HOURS / 2 };
  const secondHour = { start: firstHour.end, end: range.end };
  const claimsDir = join(root, 'promship', 'c1', 'claims');
  const hourly = claims('instance-hourly');
  const twoHourly = claims('instance-2h');
  const halfHourly = claims('instance-30m');

  const hour = await hourly.acquire(firstHour, () => 'ULID-H1');
  t.match(hour, {
    owned: true,
    gen: 0,
    body: { ulid: 'ULID-H1' },
    range: { gen: 0, body: { instance: 'instance-hourly' } },
  });
  t.same(
    (await readdir(claimsDir)).sort(),
    [`${firstHour.start}-${firstHour.end}`, `${range.start}-${range.end}`].sort(),
    'the hour and its 2h range are claimed',
  );
  const rangeClaim = JSON.parse(
    await readFile(join(claimsDir, `${range.start}-${range.end}`, '000000.json'), 'utf8'),
  ) as { instance: string; ulid: string };
  t.equal(rangeClaim.instance, 'instance-hourly');
  t.not(rangeClaim.ulid, 'ULID-H1', "the range's claim names a ULID of its own, not the hour's block");

  t.match(
    await twoHourly.acquire(range, () => 'ULID-2H'),
    { owned: false, holder: { instance: 'instance-hourly' }, live: true },
    'a 2h window over the claimed hour is left alone',
  );
  t.match(
    await halfHourly.acquire({ start: secondHour.start, end: secondHour.start + TWO_HOURS / 4 }, () => 'ULID-30'),
    { owned: false, holder: { instance: 'instance-hourly' } },
    'and so is a half hour in the hour nobody claimed yet: the range is taken',
  );
  const second = await hourly.acquire(secondHour, () => 'ULID-H2');
  t.match(second, { owned: true, resumed: false, body: { ulid: 'ULID-H2' }, range: { gen: 0 } });
  if (hour.owned) await t.resolves(hourly.confirm(firstHour, hour), "the owner's check before meta.json passes");

  now += 60_000;
  const taken = await twoHourly.acquire(range, () => 'ULID-2H');
  t.match(taken, { owned: true, gen: 1, tookOverFrom: { instance: 'instance-hourly' } }, 'a stale range is taken over');
  if (second.owned)
    await t.rejects(
      hourly.confirm(secondHour, second),
      ClaimLostError,
      "and the old owner's check before meta.json fails on the range",
    );
});

void t.test('renew: a new generation of an own claim under another ULID', async (t) => {
  const root = await tempDir(t);
  const bucket = new FileBucket(root);
  const now = 1_900_000_000_000;
  const claims = new WindowClaims({
    bucket,
    clusterId: 'c1',
    instanceId: 'instance-aaaa',
    staleAfterMs: 60_000,
    startedAt: now,
    now: () => now,
  });
  const held = await claims.acquire(W, () => 'ULID-OLD');
  if (!held.owned) throw new Error('not owned');
  const renewed = await claims.renew(W, held, 'ULID-NEW');
  t.match(renewed, { owned: true, gen: 1, body: { ulid: 'ULID-NEW' }, range: { gen: 0 } });
  const dir = join(root, 'promship', 'c1', 'claims', `${W.start}-${W.end}`);
  t.same((await readdir(dir)).sort(), ['000000.json', '000001.json']);
  t.match(JSON.parse(await readFile(join(dir, '000001.json'), 'utf8')), {
    instance: 'instance-aaaa',
    ulid: 'ULID-NEW',
  });
  t.match(
    await claims.acquire(W, () => 'ULID-OTHER'),
    { owned: true, resumed: true, gen: 1, body: { ulid: 'ULID-NEW' } },
    'the next attempt resumes the new ULID',
  );
  await t.rejects(claims.confirm(W, held), ClaimLostError, 'the old generation no longer passes the check');
  if (renewed.owned) await t.resolves(claims.confirm(W, renewed));
});

void t.test('on a store that overwrites, a short window claims itself only', async (t) => {
  const root = await tempDir(t);
  const files = new FileBucket(root);
  // s3rver and fauxqs answer a conditional create with 200 and overwrite.
  const overwriting = Object.assign(Object.create(files) as FileBucket, {
    async putIfAbsent(key: string, body: Uint8Array | string) {
      await files.put(key, body);
      return true;
    },
  });
  const now = 1_900_000_000_000;
  const claims = new WindowClaims({
    bucket: overwriting,
    clusterId: 'c1',
    instanceId: 'instance-aaaa',
    staleAfterMs: 60_000,
    startedAt: now,
    now: () => now,
  });
  t.equal(await claims.honoursPreconditions(), false);
  const held = await claims.acquire(W, () => 'ULID-A');
  t.match(held, { owned: true, gen: 0 });
  t.notOk(held.owned && held.range, 'no range claim held');
  t.same(await readdir(join(root, 'promship', 'c1', 'claims')), [`${W.start}-${W.end}`], 'only the window is claimed');
});
