/**
 * The Grafana dashboard ConfigMap: off by default, labelled for Grafana's sidecar when on, valid
 * JSON, grouped by the chart's cluster label, and every PromQL expression in it accepted by
 * promtool (each becomes a recording rule in a temporary rule file for `promtool check rules`).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { REQUIRED_VALUES, renderChart } from '../helpers/helm.ts';
import { promtool } from '../helpers/promtool.ts';
import { tempDir } from '../helpers/tmp.ts';

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

void t.test('the dashboard ConfigMap', async (t) => {
  t.notOk(
    (await renderChart(t, REQUIRED_VALUES)).some((o) => o.kind === 'ConfigMap'),
    'off by default',
  );
  const objects = await renderChart(t, {
    ...REQUIRED_VALUES,
    cluster: { id: 'cluster-two', label: 'cluster' },
    grafanaDashboard: { enabled: true },
  });
  const cm = objects.find((o) => o.kind === 'ConfigMap');
  t.equal(cm?.metadata.labels?.grafana_dashboard, '1', 'labelled for the Grafana sidecar');
  const dashboard = JSON.parse((cm?.data as Record<string, string>)['promship.json']!) as {
    panels: Panel[];
    uid: string;
  };
  t.equal(dashboard.uid, 'promship');
  const exprs = dashboard.panels
    .flatMap((p) => [p, ...(p.panels ?? [])])
    .flatMap((p) => (p.targets ?? []).map((x) => ({ panel: p.title, expr: x.expr })));
  t.ok(exprs.length >= 15, `${exprs.length} expressions`);
  t.ok(
    exprs.some((e) => e.expr.includes('by (cluster)')),
    "grouped by the chart's cluster label",
  );
  t.notOk(
    exprs.some((e) => e.expr.includes('cluster_id')),
    'no other cluster label left',
  );
  for (const m of [
    'promship_fleet_lag_seconds',
    'promship_fleet_gap_seconds',
    'promship_fleet_overlapping_blocks',
    'promship_fleet_last_heartbeat_timestamp_seconds',
    'promship_shipping_lag_seconds',
    'promship_never_shipped',
  ]) {
    t.ok(
      exprs.some((e) => e.expr.includes(m)),
      `shows ${m}`,
    );
  }

  const dir = await tempDir(t);
  const rules = exprs.map((e, i) => ({ record: `promship_dashboard:expr_${i}`, expr: e.expr }));
  await writeFile(join(dir, 'dashboard-rules.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
  const check = await promtool(['check', 'rules', 'dashboard-rules.yml'], dir);
  t.equal(check.code, 0, `promtool accepts every expression (${check.output})`);
  t.match(check.output, new RegExp(`SUCCESS: ${rules.length} rules found`));

  // The check can fail: a broken expression is refused.
  await writeFile(
    join(dir, 'broken.yml'),
    stringify({
      groups: [{ name: 'dashboard', rules: [{ record: 'x:y', expr: 'sum by (cluster (promship_fleet_lag_seconds)' }] }],
    }),
  );
  t.not((await promtool(['check', 'rules', 'broken.yml'], dir)).code, 0, 'a broken expression fails');
});
