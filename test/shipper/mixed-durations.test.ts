/**
 * Two agents of one cluster on a store that honours conditional creates, one shipping 2h windows
 * and one 1h windows (a duplicated cluster id, or a replacement pod with a changed
 * PROMSHIP_BLOCK_DURATION beside an old one that still runs). Claims of windows of different
 * lengths never share a key, so both owned overlapping windows and published overlapping blocks,
 * which halts the compactor. Each meta.json upload here waits until the other agent has reached
 * its own or finished its run: both checks before meta.json see no block, the race at its worst.
 */
import { join } from 'node:path';
import t from 'tap';
import { agent, blocksIn, fileBucketWith, HOUR, overlappingPairs } from '../helpers/shipper-harness.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('a 2h agent and a 1h agent racing for the same two hours publish no overlapping blocks', async (t) => {
  const dir = await tempDir(t);
  const root = join(dir, 'bucket');
  // Just past a 2h boundary: the 2h before it are due for both agents.
  const now = Math.floor(Date.now() / (2 * HOUR)) * 2 * HOUR + 5 * 60_000;
  let waiting = 0;
  let release!: () => void;
  const bothThere = new Promise<void>((resolve) => (release = resolve));
  const gated = fileBucketWith(root, (files) => ({
    async uploadFile(key: string, path: string, opts?: { signal?: AbortSignal }) {
      if (key.endsWith('/meta.json') && ++waiting <= 2) {
        if (waiting === 2) release();
        await bothThere;
      }
      return files.uploadFile(key, path, opts);
    },
  }));
  const run = (instance: string, blockDurationMs: number) =>
    agent({ bucket: gated, dataDir: join(dir, instance), instance, blockDurationMs, now: () => now })
      .runOnce()
      .finally(release);
  const [twoHourly, hourly] = await Promise.all([run('agent-2h', 2 * HOUR), run('agent-1h', HOUR)]);
  const { published, partial } = await blocksIn(root);
  t.comment(
    `2h agent shipped ${twoHourly.shipped.length}, left ${twoHourly.claimedElsewhere.length}; ` +
      `1h agent shipped ${hourly.shipped.length}, left ${hourly.claimedElsewhere.length}`,
  );
  t.same(overlappingPairs(published), [], 'no overlapping blocks');
  const from = now - 5 * 60_000 - 2 * HOUR;
  t.same(
    published.map((b) => [b.minTime, b.maxTime]),
    hourly.shipped.length > 0
      ? [
          [from, from + HOUR],
          [from + HOUR, from + 2 * HOUR],
        ]
      : [[from, from + 2 * HOUR]],
    'the two hours, each shipped once, by the agent that holds them',
  );
  t.same(partial, [], 'no partial block left');
  t.equal(twoHourly.failed.length + hourly.failed.length, 0, 'no window failed');
  t.ok(twoHourly.claimedElsewhere.length + hourly.claimedElsewhere.length > 0, 'one agent left the range to the other');
});
