/**
 * `promship status` and `promship verify` on an Azure container (Azurite): after `once` they
 * report every window shipped and a sound bucket; a chunk blob cut short (written with the SDK,
 * not promship) is named by verify; staged-but-uncommitted blocks of an interrupted upload are
 * invisible to both, and a resumed upload removes them.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { openAzureBucket } from '../../src/bucket/azure-bucket.ts';
import { clearPartialBlock } from '../../src/bucket/upload-block.ts';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { logLines, runCli } from '../helpers/cli.ts';
import { H, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

interface VerifyJson {
  ok: boolean;
  blocks: { ulid: string; problems: string[] }[];
  overlaps: unknown[];
  gaps: unknown[];
  partialUploads: string[];
}

void t.test('status and verify on an Azure container', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir);
  const target = await bucketTarget(t, 'azurite', join(dir, 'bucket'));
  const server = target.azurite!;
  const env = {
    ...target.env,
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
  };
  const windows = source.windowsWithData(2 * H);

  const once = await runCli(['once'], env);
  t.equal(once.code, 0, `once (${once.stderr.slice(0, 300)})`);
  const shipped = logLines(once.stdout).filter((l) => l.msg === 'shipped block');
  t.equal(shipped.length, windows.size, 'one block per window with data');

  const status = JSON.parse((await runCli(['status', '--json'], env)).stdout) as {
    blocks: number;
    pending: { start: number }[];
    failing: unknown[];
  };
  t.equal(status.blocks, windows.size, 'status counts every shipped block');
  // A window without data that fell due after `once` (the clock crossed a window's end plus the ship
  // delay between the two commands) is pending, rightly: only windows holding data must not be.
  t.same(
    status.pending.filter((w) => windows.has(w.start)),
    [],
    'no window with data pending',
  );
  t.same(status.failing, []);

  // An interrupted upload: blocks staged for a new block's chunk file, never committed.
  const raw = server.containerClient();
  const partialUlid = '01JAAAAAAAAAAAAAAAAAAAAAAA';
  const staged = raw.getBlockBlobClient(`${target.prefix}/${partialUlid}/chunks/000001`);
  await staged.stageBlock(Buffer.from('x-000000').toString('base64'), randomBytes(4096), 4096);

  const good = await runCli(['verify', '--json'], env);
  t.equal(good.code, 0, 'verify passes');
  const v = JSON.parse(good.stdout) as VerifyJson;
  t.equal(v.ok, true);
  t.equal(v.blocks.length, windows.size);
  t.same(v.partialUploads, [], 'staged, uncommitted blocks are not a partial upload anyone can see');
  t.same(
    v.blocks.flatMap((b) => b.problems),
    [],
    'no block has a problem',
  );
  for (const secret of target.secrets)
    t.notOk(good.stdout.includes(secret) || good.stderr.includes(secret), 'no secret in verify output');

  // What a resume does first: the staged blocks go.
  const bucket = await openAzureBucket({
    container: server.container,
    prefix: target.prefix,
    connectionString: server.connectionString(),
  });
  const cleared = await clearPartialBlock(bucket, partialUlid);
  t.equal(cleared.incompleteUploads, 1, 'the uncommitted blob was removed before resuming');
  const left: string[] = [];
  for await (const b of raw.listBlobsFlat({ prefix: `${target.prefix}/${partialUlid}/`, includeUncommitedBlobs: true }))
    left.push(b.name);
  t.same(left, [], 'nothing of the interrupted upload is left');

  // Damage: the first block's chunk file cut short, written behind promship's back.
  const first = String(shipped[0]!.ulid);
  const chunk = raw.getBlockBlobClient(`${target.prefix}/${first}/chunks/000001`);
  const bytes = await chunk.downloadToBuffer();
  await chunk.upload(bytes.subarray(0, bytes.byteLength - 10), bytes.byteLength - 10);
  const bad = await runCli(['verify', '--json'], env);
  t.equal(bad.code, 1, 'verify fails on a damaged block');
  const vb = JSON.parse(bad.stdout) as VerifyJson;
  t.equal(vb.ok, false);
  const damaged = vb.blocks.find((b) => b.ulid === first);
  t.ok(
    damaged && damaged.problems.some((p) => p.includes('chunks/000001')),
    `the cut chunk file is named (${JSON.stringify(damaged?.problems)})`,
  );
});
