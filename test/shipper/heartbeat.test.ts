/**
 * The heartbeat: written at the end of every run whatever its result, carrying the last successful
 * run and the recent writers over from the previous heartbeat (so an empty data dir loses neither),
 * and a heartbeat that cannot be written is a warning, never a thrown error.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import type { Bucket } from '../../src/bucket/bucket.ts';
import { heartbeatKey, readHeartbeat } from '../../src/shipper/heartbeat.ts';
import { loadInstanceId } from '../../src/shipper/instance-id.ts';
import { writeRunHeartbeat, type RunHeartbeatContext } from '../../src/shipper/run-heartbeat.ts';
import type { RunSummary } from '../../src/shipper/shipper.ts';
import { WindowError } from '../../src/shipper/ship-window.ts';
import { tempDir } from '../helpers/tmp.ts';

const H = 3_600_000;
const summary = (over: Partial<RunSummary> = {}): RunSummary => ({
  shipped: [],
  claimedElsewhere: [],
  otherWriters: [],
  failed: [],
  retrying: [],
  empty: [],
  covered: [],
  pending: 0,
  newestShippedEnd: 10 * H,
  plannedFrom: 0,
  overtaken: 0,
  durationMs: 5,
  ...over,
});

function collectingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { logger, lines };
}

void t.test('instance id: created once, kept in the data dir', async (t) => {
  const dir = await tempDir(t);
  const id = await loadInstanceId(join(dir, 'data'));
  t.match(id, /^[0-9a-f-]{36}$/);
  t.equal(await loadInstanceId(join(dir, 'data')), id, 'the same id on the next load');
  t.equal((await readFile(join(dir, 'data', 'instance-id'), 'utf8')).trim(), id, 'kept in <dataDir>/instance-id');
  t.not(await loadInstanceId(join(dir, 'other')), id, 'another data dir is another instance');
});

void t.test('every run leaves a heartbeat; the last success and the writers carry over', async (t) => {
  const dir = await tempDir(t);
  const bucket = new FileBucket(join(dir, 'bucket'));
  const { logger } = collectingLogger();
  let now = 20 * H;
  const ctx = (dataDir: string): RunHeartbeatContext => ({
    bucket,
    logger,
    dataDir: join(dir, dataDir),
    cluster: 'c/1',
    labels: { cluster_id: 'c/1' },
    agentVersion: '9.9.9',
    blockDurationMs: 2 * H,
    shipDelayMs: 300_000,
    scheduleIntervalMs: 300_000,
    runStartedAt: now - 1000,
    now: () => now,
  });

  const first = await writeRunHeartbeat(ctx('a'), { summary: summary() });
  t.equal(first?.result, 'success');
  t.equal(first?.lastSuccessAt, now);
  t.equal(first?.lagSeconds, 10 * 3600);
  const stored = JSON.parse(
    await readFile(join(dir, 'bucket', 'promship', encodeURIComponent('c/1'), 'heartbeat.json'), 'utf8'),
  ) as Record<string, unknown>;
  t.equal(stored.agentVersion, '9.9.9');
  t.equal(stored.instanceId, await loadInstanceId(join(dir, 'a')), 'the instance id of the data dir');
  t.equal(stored.blockDurationMs, 2 * H);
  t.equal(stored.scheduleIntervalMs, 300_000);
  t.equal(heartbeatKey('c/1'), 'promship/c%2F1/heartbeat.json', 'beside the ledger');

  const successAt = now;
  now += 300_000;
  const failedWindow = new WindowError({ start: 10 * H, end: 12 * H }, 'upload', new Error('boom'));
  const partial = await writeRunHeartbeat(ctx('a'), {
    summary: summary({
      failed: [{ window: { start: 10 * H, end: 12 * H }, error: failedWindow, attempts: 1, nextRetryAt: now }],
      pending: 1,
    }),
  });
  t.equal(partial?.result, 'partial');
  t.same(partial?.failingCodes, [failedWindow.code]);
  t.equal(partial?.pendingWindows, 1);
  t.equal(partial?.lastSuccessAt, successAt, 'a partial run keeps the last success');

  // A new pod: empty data dir, new instance; the old one wrote within 3 intervals, so both are live writers.
  now += 300_000;
  const errored = await writeRunHeartbeat(ctx('b'), { result: 'error', code: 'PROMSHIP_BUCKET_UNREACHABLE' });
  t.equal(errored?.result, 'error');
  t.same(errored?.failingCodes, ['PROMSHIP_BUCKET_UNREACHABLE']);
  t.equal(errored?.lastSuccessAt, successAt, 'survives an empty data dir');
  t.equal(errored?.newestShippedEnd, 10 * H, 'the newest shipped end carries over a run that learned nothing');
  t.equal(Object.keys(errored?.writers ?? {}).length, 2, 'two writers seen within three intervals');

  now += 4 * 300_000;
  const later = await writeRunHeartbeat(ctx('b'), { summary: summary() });
  t.equal(Object.keys(later?.writers ?? {}).length, 1, 'a writer silent for more than three intervals is forgotten');
  t.same(await readHeartbeat(bucket, 'c/1'), later);
});

void t.test('a heartbeat the store refuses is a warning, not a failure', async (t) => {
  const dir = await tempDir(t);
  const inner = new FileBucket(join(dir, 'bucket'));
  const broken: Bucket = Object.assign(Object.create(inner) as Bucket, {
    put: () => Promise.reject(new Error('store down')),
  });
  const { logger, lines } = collectingLogger();
  const doc = await writeRunHeartbeat(
    {
      bucket: broken,
      logger,
      dataDir: join(dir, 'd'),
      cluster: 'c1',
      agentVersion: 'x',
      blockDurationMs: H,
      shipDelayMs: 0,
      scheduleIntervalMs: 60_000,
      runStartedAt: 0,
    },
    { summary: summary() },
  );
  t.equal(doc, undefined);
  const warn = lines.find((l) => l.code === 'PROMSHIP_HEARTBEAT_FAILED');
  t.equal(warn?.level, 40, 'logged at warn');
  t.match(warn?.err, /store down/);
});

void t.test('a run that found another live writer is a refusal in the heartbeat, never a success', async (t) => {
  const dir = await tempDir(t);
  const bucket = new FileBucket(join(dir, 'bucket'));
  const { logger } = collectingLogger();
  let now = 20 * H;
  const ctx: RunHeartbeatContext = {
    bucket,
    logger,
    dataDir: join(dir, 'a'),
    cluster: 'c1',
    agentVersion: 'x',
    blockDurationMs: 2 * H,
    shipDelayMs: 300_000,
    scheduleIntervalMs: 300_000,
    runStartedAt: now - 1000,
    now: () => now,
  };
  const ok = await writeRunHeartbeat(ctx, { summary: summary() });
  const successAt = ok?.lastSuccessAt;
  now += 300_000;
  const refused = await writeRunHeartbeat(ctx, {
    summary: summary({ otherWriters: [{ instance: 'other-instance', evidence: 'its claim' }] }),
  });
  t.equal(refused?.result, 'error');
  t.same(refused?.failingCodes, ['PROMSHIP_CLUSTER_ID_IN_USE']);
  t.equal(refused?.lastSuccessAt, successAt, 'the last success does not move');
});
