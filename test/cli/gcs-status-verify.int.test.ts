/**
 * `promship status` and `promship verify` on a Google Cloud Storage bucket (the GCS emulator, via
 * PROMSHIP_BUCKET=gs://… and STORAGE_EMULATOR_HOST): both pass after `once`, and verify finds a
 * block whose index was removed behind promship's back through a plain SDK client.
 */
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { logLines, runCli } from '../helpers/cli.ts';
import { H, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

interface VerifyJson {
  ok: boolean;
  blocks: { ulid: string; problems: string[] }[];
}

for (const kind of ['gcs', 'gcs-objstore'] as const) {
  t.test(`status and verify pass on a shipped GCS bucket (${kind}) and verify finds damage`, async (t) => {
    const dir = await tempDir(t);
    const source = await startSource(t, dir);
    const target = await bucketTarget(t, kind, join(dir, 'bucket'));
    const env = {
      ...target.env,
      PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
      PROMSHIP_DATA_DIR: join(dir, 'data'),
      PROMSHIP_MAX_BACKFILL: '1d',
    };
    const once = await runCli(['once'], env);
    t.equal(once.code, 0, `once (${once.stderr.slice(0, 300)})`);
    const shipped = logLines(once.stdout).filter((l) => l.msg === 'shipped block');
    t.equal(shipped.length, source.windowsWithData(2 * H).size, 'one block per window');

    const status = await runCli(['status', '--json'], env);
    t.equal(status.code, 0, `status (${status.stderr.slice(0, 300)})`);
    const s = JSON.parse(status.stdout) as { blocks: number; pending: { start: number }[]; failing: unknown[] };
    t.equal(s.blocks, shipped.length);
    // Only windows holding data must not be pending: an empty one can fall due between the commands.
    const withData = source.windowsWithData(2 * H);
    t.same(
      s.pending.filter((w) => withData.has(w.start)),
      [],
      'no window with data pending',
    );
    t.same(s.failing, []);

    const verify = await runCli(['verify', '--json'], env);
    t.equal(verify.code, 0, `verify (${verify.stderr.slice(0, 300)})`);
    const v = JSON.parse(verify.stdout) as VerifyJson;
    t.equal(v.ok, true);
    t.equal(v.blocks.length, shipped.length);
    for (const secret of target.secrets) {
      for (const r of [once, status, verify])
        t.notOk(r.stdout.includes(secret) || r.stderr.includes(secret), 'no secret in the output');
    }

    const victim = v.blocks[0]!.ulid;
    const gcs = target.gcs!;
    await gcs.client().bucket(gcs.bucket).file(`thanos/${victim}/index`).delete();
    const damaged = await runCli(['verify', '--json'], env);
    t.not(damaged.code, 0, 'verify fails on a damaged bucket');
    const d = JSON.parse(damaged.stdout) as VerifyJson;
    t.equal(d.ok, false);
    t.ok((d.blocks.find((b) => b.ulid === victim)?.problems.length ?? 0) > 0, 'the damaged block has problems');
  });
}
