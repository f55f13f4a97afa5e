/**
 * Shared by test/shipper/two-writers-{file,s3rver,conditional}.test.ts (one file per store, so
 * each stays well inside tap's per-file timeout).
 *
 * Two agents with one cluster id and one bucket, started together (a duplicated `cluster_id`, a
 * replacement pod beside the old one): `promship once` twice at the same instant, separate data
 * dirs, round after round, on the file bucket, on s3rver (which ignores conditional writes) and on
 * an S3 store that honours `If-None-Match: *`. Every round must end with no overlapping blocks,
 * every window shipped exactly once, no partial block left, and a promtool dump equal to the
 * source. Without the per-window claims, the first round already overlaps.
 */
import { join } from 'node:path';
import t from 'tap';
import { logLines, runCli } from './cli.ts';
import { startConditionalS3Proxy } from './conditional-s3-proxy.ts';
import { startS3rver } from './s3.ts';
import { M, startSource } from './source.ts';
import { tempDir } from './tmp.ts';
import { downloadPrefix, judgeBucketDir } from './two-writers.ts';

// 20 rounds of two process starts each take minutes on a loaded machine.
t.setTimeout(1_800_000);

const ROUNDS = Number(process.env.PROMSHIP_TWO_WRITERS_ROUNDS ?? 20);
const STORES = (process.env.PROMSHIP_TWO_WRITERS_STORES ?? 'file,s3rver,conditional').split(',');
const BLOCK = 15 * M;

const dir = await tempDir(t);
// About 1.4 h of data: 6 windows of 15 minutes for the two agents to contend for.
const source = await startSource(t, dir, { windows: 1 });
const common = {
  PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
  PROMSHIP_BLOCK_DURATION: '15m',
  PROMSHIP_MAX_BACKFILL: '1d',
  PROMSHIP_LOG_LEVEL: 'info',
};

type Store = 'file' | 's3rver' | 'conditional';

/** Conditional PUTs the If-None-Match store refused (it must refuse some, or the test proves nothing about it). */
let refusedByStore = (): number => 0;

async function storeEnv(
  store: Store,
): Promise<(round: number) => { env: Record<string, string>; localCopy: () => Promise<string> }> {
  if (store === 'file') {
    return (round) => {
      const bucketDir = join(dir, store, `r${round}`, 'bucket');
      return { env: { PROMSHIP_BUCKET: `file://${bucketDir}` }, localCopy: () => Promise.resolve(bucketDir) };
    };
  }
  const server = await startS3rver(t);
  let endpoint = server.endpoint;
  if (store === 'conditional') {
    const proxy = await startConditionalS3Proxy(t, server);
    endpoint = proxy.url;
    refusedByStore = () => proxy.refused;
  }
  return (round) => {
    const prefix = `${store}-r${round}`;
    return {
      env: {
        PROMSHIP_BUCKET: `s3://${server.bucket}/${prefix}`,
        PROMSHIP_S3_ENDPOINT: endpoint,
        PROMSHIP_S3_REGION: server.region,
        PROMSHIP_S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: server.accessKeyId,
        AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      localCopy: async () => {
        const local = join(dir, store, `r${round}`, 'bucket');
        await downloadPrefix(server, prefix, local);
        return local;
      },
    };
  };
}

for (const store of STORES as Store[]) {
  void t.test(`two agents, one cluster id, one ${store} bucket: ${ROUNDS} rounds`, async (t) => {
    const round = await storeEnv(store);
    const totals = { overlaps: 0, missing: 0, duplicated: 0, partial: 0, lostClaims: 0 };
    /** From the last check before meta.json to meta.json landing: the race a store without conditional writes leaves. */
    const raceMs: number[] = [];
    let warnedNoConditional = 0;
    /** Agents that gave no conditional-writes line: their exit and last log line, to say why. */
    const unwarned: string[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const { env, localCopy } = round(r);
      const agent = (name: string): Record<string, string> => ({
        ...common,
        ...env,
        PROMSHIP_DATA_DIR: join(dir, store, `r${r}`, name),
      });
      const [a, b] = await Promise.all([runCli(['once'], agent('a')), runCli(['once'], agent('b'))]);
      for (const res of [a, b])
        t.notOk(res.stderr.includes('TypeError'), `round ${r}: no crash (${res.stderr.slice(0, 300)})`);
      const lines = [a, b].flatMap((res) => logLines(res.stdout));
      totals.lostClaims += lines.filter(
        (l) => l.msg === 'one writer: window claimed by another instance; not shipping it',
      ).length;
      raceMs.push(
        ...lines
          .filter((l) => l.msg === 'shipped block' && typeof l.checkToPublishMs === 'number')
          .map((l) => l.checkToPublishMs as number),
      );
      warnedNoConditional += lines.filter((l) => l.code === 'PROMSHIP_BUCKET_NO_CONDITIONAL_WRITES').length;
      for (const [name, res] of [
        ['a', a],
        ['b', b],
      ] as const) {
        const own = logLines(res.stdout);
        if (!own.some((l) => l.code === 'PROMSHIP_BUCKET_NO_CONDITIONAL_WRITES')) {
          const last = own.at(-1);
          unwarned.push(
            `round ${r} agent ${name}: exit ${res.code}, last line ${JSON.stringify(last?.msg)} ${res.stderr.slice(-300)}`,
          );
        }
      }
      const v = await judgeBucketDir(await localCopy(), source, BLOCK);
      totals.overlaps += v.overlaps.length;
      totals.missing += v.missing.length;
      totals.duplicated += v.duplicated.length;
      totals.partial += v.partial.length;
      t.same(v.overlaps, [], `round ${r}: no overlapping blocks`);
      t.same(
        { missing: v.missing, duplicated: v.duplicated },
        { missing: [], duplicated: [] },
        `round ${r}: every window shipped exactly once`,
      );
      if (v.missing.length > 0) {
        const said: Record<string, unknown>[] = [a, b].flatMap((res, i) =>
          logLines(res.stdout).map((l) => ({ agent: i, ...l })),
        );
        for (const w of v.missing)
          t.comment(
            `missing ${w}: ${JSON.stringify(said.filter((l) => typeof l.window === 'string' && l.window.startsWith(new Date(w).toISOString().slice(0, 16))))}`,
          );
      }
      t.same(v.partial, [], `round ${r}: no partial block left`);
      t.equal(v.dumpDifference, undefined, `round ${r}: promtool dump equals the source`);
    }
    raceMs.sort((x, y) => x - y);
    const pct = (p: number): number | undefined => raceMs[Math.min(raceMs.length - 1, Math.floor(p * raceMs.length))];
    t.comment(
      `${store}: ${JSON.stringify(totals)} over ${ROUNDS} rounds; check-to-publish ms: median ${pct(0.5)}, p95 ${pct(0.95)}, max ${raceMs.at(-1)} (${raceMs.length} blocks)`,
    );
    t.ok(totals.lostClaims > 0, 'the agents did contend for windows');
    if (store === 'conditional') {
      t.ok(refusedByStore() > 0, `the store refused conditional writes to existing claims (${refusedByStore()})`);
      t.equal(warnedNoConditional, 0, 'and promship found it honours them');
    } else if (store === 's3rver') {
      t.equal(
        warnedNoConditional,
        2 * ROUNDS,
        `promship found that s3rver ignores conditional writes, and said so${unwarned.length > 0 ? `; not: ${unwarned.join('; ')}` : ''}`,
      );
    }
  });
}
