/**
 * `promship status` and `promship verify`, human and --json, against a real shipped bucket:
 * status tells the newest shipped window, the lag, and the pending and failing windows after a
 * forced failure; verify passes a good bucket and names each problem of a damaged one (a
 * truncated chunk file, a missing index, a flipped byte in a chunk, an overlapping extra block)
 * and reports gaps and partial uploads; a compaction's source marked for deletion beside the
 * compacted block is neither.
 */
import { cp, mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { ulid as newUlid } from 'ulidx';
import { readMeta } from '../helpers/blocks.ts';
import { logLines, runCli } from '../helpers/cli.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { listBlockDirs } from '../helpers/prometheus.ts';
import { H, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

interface StatusJson {
  blocks: number;
  newestShipped: { window: { start: number; end: number }; ulid: string } | null;
  lagSeconds: number | null;
  pending: { start: number; end: number }[];
  failing: { start: number; end: number; attempts: number; lastErrorCode: string; lastError: string }[];
}

interface VerifyJson {
  ok: boolean;
  blocks: { ulid: string; problems: string[]; markedForDeletion: boolean }[];
  overlaps: { a: string; b: string }[];
  gaps: { start: number; end: number }[];
  partialUploads: string[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

t.test('status and verify tell the truth about the bucket', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir);
  const proxy = await startFaultProxy(t, source.prometheus.url);
  const bucketDir = join(dir, 'bucket');
  const env = {
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_BUCKET: `file://${bucketDir}`,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
  };
  const windows = [...source.windowsWithData(2 * H)].sort((a, b) => a - b);
  t.equal(windows.length, 3);
  const [, w1, w2] = windows as [number, number, number];

  // Ship the two older windows only: the ship delay puts the newest complete window end at w2.
  const delayS = Math.round((Date.now() - (w2 + H)) / 1000);
  const first = await runCli(['once'], { ...env, PROMSHIP_SHIP_DELAY: `${delayS}s` });
  t.equal(first.code, 0, `first once (${first.stderr.slice(0, 300)})`);
  t.equal(logLines(first.stdout).filter((l) => l.msg === 'shipped block').length, 2);

  // The newest window fails: Prometheus' remote read answers 503.
  proxy.failReads = true;
  const failed = await runCli(['once'], { ...env, PROMSHIP_PROMETHEUS_URL: proxy.url });
  t.equal(failed.code, 1, 'once exits 1 when a window failed');
  t.ok(
    logLines(failed.stdout).some((l) => l.msg === 'window failed' && l.window === `${iso(w2)}–${iso(w2 + 2 * H)}`),
    'the window failed line',
  );

  t.test('status after a forced failure', async (t) => {
    const json = await runCli(['status', '--json'], env);
    t.equal(json.code, 0);
    const s = JSON.parse(json.stdout) as StatusJson;
    t.equal(s.blocks, 2);
    t.same(s.newestShipped?.window, { start: w1, end: w1 + 2 * H }, 'newest shipped window');
    t.ok(
      Math.abs(s.lagSeconds! - (Date.now() - (w1 + 2 * H)) / 1000) < 120,
      `lag ${s.lagSeconds}s is now minus the newest shipped end`,
    );
    t.ok(
      s.pending.some((w) => w.start === w2 && w.end === w2 + 2 * H),
      'the failed window is pending',
    );
    const f = s.failing.find((e) => e.start === w2);
    t.ok(f, 'the failed window is listed as failing');
    t.equal(f?.attempts, 1);
    t.match(f?.lastErrorCode, /^PROMSHIP_/, 'with its error code');
    t.match(f?.lastError, /503/, 'and its error');

    const human = await runCli(['status'], env);
    t.equal(human.code, 0);
    t.match(human.stdout, new RegExp(`newest\\s+${iso(w1)}–${iso(w1 + 2 * H)}`));
    t.match(human.stdout, /lag\s+\d+h/);
    t.match(
      human.stdout,
      new RegExp(`pending\\s+${s.pending.length} window\\(s\\), oldest ${iso(s.pending[0]!.start)}`),
    );
    t.match(human.stdout, new RegExp(`failing\\s+${s.failing.length} window\\(s\\)`));
    t.match(
      human.stdout,
      new RegExp(`${iso(w2)}–${iso(w2 + 2 * H)}\\s+1\\s+\\S+\\s+${f?.lastErrorCode}`),
      'the failing table row',
    );
  });

  t.test('after recovery, status is clear and verify passes', async (t) => {
    proxy.failReads = false;
    const last = await runCli(['once'], env);
    t.equal(last.code, 0);
    const s = JSON.parse((await runCli(['status', '--json'], env)).stdout) as StatusJson;
    t.equal(s.blocks, 3);
    t.same(s.failing, [], 'nothing failing');
    t.same(
      s.pending.filter((w) => windows.includes(w.start)),
      [],
      'no window with data pending',
    );

    const json = await runCli(['verify', '--json'], env);
    t.equal(json.code, 0, 'verify exits 0 on a good bucket');
    const v = JSON.parse(json.stdout) as VerifyJson;
    t.ok(v.ok);
    t.same(
      v.blocks.map((b) => b.problems),
      [[], [], []],
    );
    t.same(v.overlaps, []);
    t.same(v.gaps, []);
    const human = await runCli(['verify'], env);
    t.equal(human.code, 0);
    t.match(human.stdout, /verify: OK/);
  });

  t.test('verify names each kind of damage', async (t) => {
    const ids = await listBlockDirs(bucketDir);
    t.equal(ids.length, 3);
    const metas = await Promise.all(ids.map((id) => readMeta(join(bucketDir, id))));
    const byStart = new Map(metas.map((m) => [m.minTime, m.ulid]));
    const [b0, b1, b2] = windows.map((w) => byStart.get(w)!) as [string, string, string];
    const extra = newUlid();

    const damage: {
      name: string;
      apply: (d: string) => Promise<void>;
      code: number;
      check: (v: VerifyJson, human: string) => void;
    }[] = [
      {
        name: 'a truncated chunk file',
        apply: async (d) => truncate(join(d, b0, 'chunks', '000001'), 100),
        code: 1,
        check: (v, human) => {
          t.match(
            v.blocks.find((b) => b.ulid === b0)?.problems.join(' '),
            /chunks\/000001 has 100 bytes, meta.json says \d+/,
          );
          t.match(human, new RegExp(`${b0}.*BAD: chunks/000001 has 100 bytes`));
        },
      },
      {
        name: 'a missing index',
        apply: async (d) => rm(join(d, b1, 'index')),
        code: 1,
        check: (v, human) => {
          t.match(v.blocks.find((b) => b.ulid === b1)?.problems.join(' '), /index is listed in meta.json but missing/);
          t.match(human, new RegExp(`${b1}.*BAD: index is listed in meta.json but missing`));
        },
      },
      {
        name: 'a flipped byte in a chunk',
        apply: async (d) => {
          const file = join(d, b2, 'chunks', '000001');
          const bytes = await readFile(file);
          // Inside the first chunk's data: past the 8-byte header, the length and the encoding byte.
          bytes[20] = bytes[20]! ^ 0x10;
          await writeFile(file, bytes);
        },
        code: 1,
        check: (v, human) => {
          t.match(v.blocks.find((b) => b.ulid === b2)?.problems.join(' '), /CRC32C mismatch/);
          t.match(human, new RegExp(`${b2}.*BAD:.*CRC32C mismatch`));
        },
      },
      {
        name: 'an overlapping extra block',
        apply: async (d) => {
          await cp(join(d, b1), join(d, extra), { recursive: true });
          const meta = await readMeta(join(d, extra));
          await writeFile(
            join(d, extra, 'meta.json'),
            JSON.stringify({ ...meta, ulid: extra, compaction: { level: 1, sources: [extra] } }),
          );
        },
        code: 1,
        check: (v, human) => {
          t.same(
            v.overlaps.map((o) => [o.a, o.b].sort()),
            [[b1, extra].sort()],
            'the overlap names both blocks',
          );
          t.match(human, /OVERLAP: .* overlap; the Thanos compactor halts on this/);
          t.match(human, new RegExp(`${extra} \\(level 1, sidecar\\)`), 'naming each block with its level and source');
          t.match(human, new RegExp(extra));
        },
      },
      {
        // What the compactor leaves during its delete delay: the compacted block, and its source
        // beside it with deletion-mark.json. Neither an overlap nor corruption, as for Thanos.
        name: 'a compacted block beside its source marked for deletion',
        apply: async (d) => {
          await cp(join(d, b1), join(d, extra), { recursive: true });
          const meta = await readMeta(join(d, extra));
          await writeFile(
            join(d, extra, 'meta.json'),
            JSON.stringify({
              ...meta,
              ulid: extra,
              compaction: { level: 2, sources: [b1] },
              thanos: { ...meta.thanos, source: 'compactor' },
            }),
          );
          await writeFile(
            join(d, b1, 'deletion-mark.json'),
            JSON.stringify({
              id: b1,
              version: 1,
              details: 'source of compacted block',
              deletion_time: Math.floor(Date.now() / 1000),
            }),
          );
        },
        code: 0,
        check: (v, human) => {
          t.same(v.overlaps, [], 'no overlap');
          t.same(v.gaps, [], 'no gap');
          t.same(
            v.blocks.map((b) => b.problems),
            [[], [], [], []],
            'no block has a problem',
          );
          t.equal(v.blocks.find((b) => b.ulid === b1)?.markedForDeletion, true, 'the source is marked for deletion');
          t.match(human, new RegExp(`${b1} .*marked for deletion .*\\(source of compacted block\\), not checked`));
          t.match(human, new RegExp(`${extra} .* 2 +compactor .* ok`));
        },
      },
      {
        name: 'a gap and a partial upload',
        apply: async (d) => {
          await rm(join(d, b1), { recursive: true });
          await mkdir(join(d, extra, 'chunks'), { recursive: true });
          await writeFile(join(d, extra, 'chunks', '000001'), 'partial');
        },
        code: 0,
        check: (v, human) => {
          t.same(v.gaps, [{ start: w1, end: w1 + 2 * H }], 'the gap is the missing window');
          t.same(v.partialUploads, [extra], 'the partial upload is listed');
          t.match(human, new RegExp(`gap: no block for ${iso(w1)}–${iso(w1 + 2 * H)}`));
          t.match(human, /partial uploads in the bucket \(any cluster, no meta.json\): 1/);
        },
      },
    ];
    await Promise.all(
      damage.map(async (c, i) => {
        const copy = join(dir, `damaged-${i}`);
        await cp(bucketDir, copy, { recursive: true });
        await c.apply(copy);
        const denv = { ...env, PROMSHIP_BUCKET: `file://${copy}` };
        const [json, human] = await Promise.all([runCli(['verify', '--json'], denv), runCli(['verify'], denv)]);
        t.equal(json.code, c.code, `${c.name}: verify --json exits ${c.code}`);
        t.equal(human.code, c.code, `${c.name}: verify exits ${c.code}`);
        const v = JSON.parse(json.stdout) as VerifyJson;
        t.equal(v.ok, c.code === 0, `${c.name}: ok is ${c.code === 0}`);
        t.match(human.stdout, c.code === 0 ? /verify: OK/ : /verify: PROBLEMS FOUND/);
        c.check(v, human.stdout);
      }),
    );
  });
});
