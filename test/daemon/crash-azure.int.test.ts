/**
 * Crash safety of `promship run` on Azure Blob Storage (Azurite): the SIGKILL soak of
 * test/helpers/crash-soak.ts with at least 30 kills, most of them while a block's blobs are being
 * written. Nothing half-written may ever be visible: a published block is whole after every kill.
 *
 * PROMSHIP_CRASH_KILLS (default 30) and PROMSHIP_CRASH_SEED make a longer or a replayed run.
 */
import t from 'tap';
import { crashSoak } from '../helpers/crash-soak.ts';

const KILLS = Math.max(30, Number(process.env.PROMSHIP_CRASH_KILLS ?? 30));
const SEED = Number(process.env.PROMSHIP_CRASH_SEED ?? Date.now() % 1_000_000);

void t.test('Azure: SIGKILL during uploads, many times: no torn, overlapping, missing or duplicate block', (t) =>
  crashSoak(t, 'azurite', KILLS, SEED),
);
