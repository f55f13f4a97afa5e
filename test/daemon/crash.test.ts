/**
 * Crash safety of `promship run` on s3rver: the SIGKILL soak of test/helpers/crash-soak.ts.
 *
 * PROMSHIP_CRASH_KILLS (default 20) and PROMSHIP_CRASH_SEED make a longer or a replayed run.
 */
import t from 'tap';
import { crashSoak } from '../helpers/crash-soak.ts';

const KILLS = Number(process.env.PROMSHIP_CRASH_KILLS ?? 20);
const SEED = Number(process.env.PROMSHIP_CRASH_SEED ?? Date.now() % 1_000_000);

t.test('SIGKILL during uploads, many times: no torn, overlapping, missing or duplicate block', (t) => crashSoak(t, 's3rver', KILLS, SEED));
