/**
 * Crash safety of `promship run`: the agent and its run process are killed together with SIGKILL
 * (as a pod dies) at random moments, many times, most of them while a block is being uploaded,
 * and then left to finish. Judged only with the AWS SDK (what is really in the bucket) and
 * promtool (what the data really is):
 * - no two blocks of the cluster overlap, and every window with data has exactly one block;
 * - no meta.json exists for a block whose files are missing or short;
 * - `promtool tsdb dump` of all shipped blocks equals the source dump;
 * - an interrupted upload is resumed under the ULID it claimed in the ledger.
 * Partial uploads (directories without meta.json) may remain; Thanos removes them. They are counted.
 *
 * PROMSHIP_CRASH_KILLS (default 20) and PROMSHIP_CRASH_SEED make a longer or a replayed run.
 */
import t from 'tap';
import { crashSoak } from '../helpers/crash-soak.ts';

const KILLS = Number(process.env.PROMSHIP_CRASH_KILLS ?? 20);
const SEED = Number(process.env.PROMSHIP_CRASH_SEED ?? Date.now() % 1_000_000);

t.test('SIGKILL during uploads, many times: no torn, overlapping, missing or duplicate block', async (t) => {
  await crashSoak(t, 's3rver', KILLS, SEED);
});
