/**
 * A Prometheus that accepts out-of-order samples for longer than the ship delay could take samples
 * into a window after promship shipped it: they would be lost (or, shipped later, overlap). The
 * start is refused with one line naming both settings, exit 2, for `once` and for `run`; a delay
 * at least as long as the window starts as usual. Judged against a real Prometheus configured
 * with `storage.tsdb.out_of_order_time_window: 10m`.
 */
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.ts';
import { freePort, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

const dir = await tempDir(t);
const prometheus = await startPrometheus({
  dataDir: join(dir, 'prom'),
  externalLabels: { cluster_id: 'cluster-ooo' },
  extraConfig: 'storage:\n  tsdb:\n    out_of_order_time_window: 10m\n',
});
t.teardown(() => prometheus.stop());

const env = (delay: string): Record<string, string> => ({
  PROMSHIP_PROMETHEUS_URL: prometheus.url,
  PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
  PROMSHIP_DATA_DIR: join(dir, `data-${delay}`),
  PROMSHIP_SHIP_DELAY: delay,
  PROMSHIP_MAX_BACKFILL: '1h',
});

const REFUSAL =
  /^promship: invalid PROMSHIP_SHIP_DELAY: Prometheus' storage\.tsdb\.out_of_order_time_window \(10m\) is longer than PROMSHIP_SHIP_DELAY \(5m\), .*set PROMSHIP_SHIP_DELAY to at least 10m/;

void t.test(
  '`promship once` with a 5m ship delay: refused at start, one line naming both settings, exit 2',
  async (t) => {
    const r = await runCli(['once'], env('5m'));
    t.equal(r.code, 2, 'exit 2');
    const lines = r.stderr.trimEnd().split('\n');
    t.equal(lines.length, 1, `one line: ${r.stderr}`);
    t.match(lines[0], REFUSAL);
    t.notMatch(r.stdout, /shipped block|run finished/, 'nothing was shipped');
  },
);

void t.test('`promship run` with a 5m ship delay: refused at start the same way', async (t) => {
  const port = await freePort();
  const r = await runCli(['run'], { ...env('5m'), PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${port}` }, 120_000);
  t.equal(r.code, 2, 'exit 2');
  t.match(r.stderr.trimEnd().split('\n').at(-1), REFUSAL);
});

void t.test('a ship delay as long as the out-of-order window starts as usual', async (t) => {
  const r = await runCli(['once'], env('10m'));
  t.equal(r.code, 0, `exit 0 (${r.stderr})`);
  t.match(r.stdout, /run finished/);
});
