/**
 * `promship fleet serve` over the acceptance bucket (test/helpers/fleet-bucket.ts): /metrics agree
 * with `promship fleet --json` for every label set, the exposition passes `promtool check metrics`,
 * and the page, rendered by Debian's chromium headless, shows one row per label set with the gap and
 * the overlap marked. A screenshot is kept in test-output/fleet/ (not committed).
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import type { FleetReport } from '../../src/fleet/report.ts';
import { dumpDom, screenshot } from '../helpers/chromium.ts';
import { CLI, runCli } from '../helpers/cli.ts';
import { startDaemon } from '../helpers/daemon.ts';
import { buildFleetScenario } from '../helpers/fleet-bucket.ts';
import { tempDir } from '../helpers/tmp.ts';
import { until } from '../helpers/until.ts';
import { nodeCommand } from '../helpers/node-command.ts';

const OUT = fileURLToPath(new URL('../../test-output/fleet/', import.meta.url));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Text exposition → samples, labels parsed (values here carry no escapes). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const p of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) labels[p[1]!] = p[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function promtoolCheckMetrics(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr });
    });
    child.stdin!.end(text);
  });
}

void t.test('fleet serve: /metrics agree with fleet --json; the page marks gaps and overlaps', async (t) => {
  const dir = await tempDir(t);
  const s = await buildFleetScenario(t, dir);
  const report = await until(
    "c's heartbeat to go stale",
    async () => {
      const r = JSON.parse((await runCli(['fleet', '--json'], s.env)).stdout) as FleetReport;
      return r.clusters.find((c) => c.labels.cluster_id === 'c')?.flags.staleAgent ? r : undefined;
    },
    120_000,
    500,
  );

  const server = startDaemon(
    t,
    { ...s.env, PROMSHIP_LISTEN_ADDRESS: '127.0.0.1:0', PROMSHIP_FLEET_REFRESH: '1h' },
    nodeCommand(['--import', 'tsx', CLI, 'fleet', 'serve']),
  );
  const serving = await server.waitForLog(
    (l) => l.msg === 'promship fleet serving /metrics, /, /healthz and /readyz',
    120_000,
  );
  const base = `http://127.0.0.1:${String(serving.port)}`;
  t.equal((await fetch(`${base}/healthz`)).status, 200, '/healthz');
  await until('/readyz', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 120_000, 100);

  const text = await (await fetch(`${base}/metrics`)).text();
  const scrapedAt = Date.now();
  const lint = await promtoolCheckMetrics(text);
  t.equal(lint.code, 0, `promtool check metrics accepts the exposition (${lint.output.slice(0, 500)})`);
  const all = samples(text);
  const get = (name: string, cluster: string, extra: Record<string, string> = {}): Sample[] =>
    all.filter(
      (x) =>
        x.name === name &&
        x.labels.cluster_id === cluster &&
        Object.entries(extra).every(([k, v]) => x.labels[k] === v),
    );
  const one = (name: string, cluster: string, extra: Record<string, string> = {}): number | undefined => {
    const found = get(name, cluster, extra);
    return found.length === 1 ? found[0]!.value : undefined;
  };

  t.same(
    [
      ...new Set(
        all.filter((x) => x.name === 'promship_fleet_lag_seconds').map((x) => Object.keys(x.labels).sort().join(',')),
      ),
    ],
    ['cluster_id,env,region'],
    "every series carries the union of the bucket's label names",
  );
  t.same(
    get('promship_fleet_lag_seconds', 'a')[0]?.labels,
    { cluster_id: 'a', env: 'test', region: '' },
    'a label a cluster lacks is empty',
  );

  for (const c of report.clusters) {
    const id = c.labels.cluster_id!;
    t.equal(
      one('promship_fleet_newest_block_end_timestamp_seconds', id),
      c.newestBlockEnd! / 1000,
      `${id}: newest block end`,
    );
    const lag = one('promship_fleet_lag_seconds', id)!;
    t.ok(
      lag >= c.lagSeconds! - 1 && lag <= (scrapedAt - c.newestBlockEnd!) / 1000 + 1,
      `${id}: lag ${lag} between fleet --json's ${c.lagSeconds} and now`,
    );
    t.equal(one('promship_fleet_gap_seconds', id), c.gapSeconds, `${id}: gap seconds`);
    t.equal(one('promship_fleet_overlapping_blocks', id), c.overlappingBlocks, `${id}: overlapping blocks`);
    t.equal(one('promship_fleet_blocks', id, { resolution: 'raw' }), c.blocks.raw, `${id}: blocks`);
    t.equal(one('promship_fleet_bytes', id, { resolution: 'raw' }), c.bytes.raw, `${id}: bytes`);
    t.equal(one('promship_fleet_healthy', id), c.healthy ? 1 : 0, `${id}: healthy`);
    if (c.heartbeat) {
      t.equal(
        one('promship_fleet_last_heartbeat_timestamp_seconds', id),
        c.heartbeat.runEndedAt / 1000,
        `${id}: last heartbeat`,
      );
      t.equal(
        one('promship_fleet_last_success_timestamp_seconds', id),
        c.heartbeat.lastSuccessAt! / 1000,
        `${id}: last success`,
      );
      t.equal(one('promship_fleet_agent_info', id, { version: c.heartbeat.agentVersion }), 1, `${id}: agent version`);
      t.equal(one('promship_fleet_agent_stale', id), c.flags.staleAgent ? 1 : 0, `${id}: stale`);
    } else {
      t.same(get('promship_fleet_last_heartbeat_timestamp_seconds', id), [], `${id}: no heartbeat, no series`);
    }
  }
  t.equal(
    one('promship_fleet_gap_seconds', 'a'),
    (s.deleted.maxTime - s.deleted.minTime) / 1000,
    "a's gap is the deleted block's window",
  );
  t.equal(one('promship_fleet_overlapping_blocks', 'b'), 2);
  t.equal(one('promship_fleet_agent_stale', 'c'), 1);
  t.ok(
    all.some((x) => x.name === 'promship_fleet_refresh_duration_seconds'),
    'the refresh duration',
  );
  t.equal(all.find((x) => x.name === 'promship_fleet_refresh_errors_total')?.value, 0, 'no refresh errors');

  const dom = await dumpDom(`${base}/`);
  const rows = [...dom.matchAll(/<tr class="cluster [^"]*"[^>]*data-labels="([^"]*)"[\s\S]*?<\/tr>/g)];
  t.equal(rows.length, 4, 'one row per label set');
  const rowOf = (id: string): string => rows.find((r) => r[1]!.includes(`cluster_id=&quot;${id}&quot;`))?.[0] ?? '';
  const gapsIn = (row: string): string[] =>
    [...row.matchAll(/<div class="gap" data-start="(\d+)" data-end="(\d+)"/g)].map((m) => `${m[1]}-${m[2]}`);
  t.same(
    gapsIn(rowOf('a')),
    [`${s.deleted.minTime}-${s.deleted.maxTime}`],
    "a's timeline marks the deleted block's window",
  );
  t.same(gapsIn(rowOf('b')), [], 'b has no gap mark');
  const overlapping = (row: string): string[] =>
    [...row.matchAll(/<div class="block raw overlap" data-ulid="([^"]+)"/g)].map((m) => m[1]!).sort();
  t.same(
    overlapping(rowOf('b')),
    [s.duplicate.original, s.duplicate.copy].sort(),
    "b's timeline marks both overlapping blocks",
  );
  t.same(overlapping(rowOf('a')), [], 'a has no overlap mark');
  t.match(rowOf('c'), /stale/, 'the stale agent is marked');
  t.match(rowOf('sidecar-x'), /class="cluster ok"/, 'the fresh sidecar is green');
  t.notMatch(dom, /<script|https?:\/\/(?!127\.0\.0\.1)/, 'no script and nothing from the internet');

  // Sorted by lag (the default, descending): the rows follow fleet --json's lags.
  const order = rows.map((r) => Number(/data-lag="(\d+)"/.exec(r[0])?.[1]));
  t.same(
    order,
    [...order].sort((x, y) => y - x),
    'sorted by lag, largest first',
  );
  const asc = [...(await dumpDom(`${base}/?sort=lag&order=asc`)).matchAll(/data-lag="(\d+)"/g)].map((m) =>
    Number(m[1]),
  );
  t.same(
    asc,
    [...asc].sort((x, y) => x - y),
    'and the other way round',
  );

  await mkdir(OUT, { recursive: true });
  const shot = join(OUT, 'fleet-page.png');
  await screenshot(`${base}/`, shot);
  t.pass(`screenshot kept at ${shot}`);

  server.signal('SIGTERM');
  t.equal(await server.exited, 0, 'stops cleanly on SIGTERM');
});
