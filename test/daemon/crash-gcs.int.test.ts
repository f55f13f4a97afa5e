/**
 * The SIGKILL soak of test/helpers/crash-soak.ts on Google Cloud Storage (the firebase-tools GCS
 * emulator, PROMSHIP_BUCKET=gs://… with STORAGE_EMULATOR_HOST): at least 30 kills, then 0
 * overlapping, 0 torn and 0 lost windows, judged through @google-cloud/storage and promtool.
 * PROMSHIP_CRASH_KILLS (default 30) and PROMSHIP_CRASH_SEED make a longer or a replayed run.
 */
import t from 'tap';
import { crashSoak } from '../helpers/crash-soak.ts';

const KILLS = Number(process.env.PROMSHIP_CRASH_KILLS ?? 30);
const SEED = Number(process.env.PROMSHIP_CRASH_SEED ?? Date.now() % 1_000_000);

t.test('GCS: SIGKILL during uploads, many times: no torn, overlapping, missing or duplicate block', async (t) => {
  await crashSoak(t, 'gcs', KILLS, SEED);
});
