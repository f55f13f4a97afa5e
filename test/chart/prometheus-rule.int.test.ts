/**
 * The chart's PrometheusRule: rendered by default only where the monitoring.coreos.com/v1 API
 * exists, accepted by `promtool check rules`, and every alert unit-tested with `promtool test rules`
 * on the rules exactly as `helm template` renders them: each one firing, and not firing.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { REQUIRED_VALUES, renderChart, type K8sObject } from '../helpers/helm.ts';
import { promtool } from '../helpers/promtool.ts';
import { tempDir } from '../helpers/tmp.ts';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Group {
  name: string;
  rules: Rule[];
}

const rulesOf = (objects: K8sObject[]): Group[] =>
  (objects.find((o) => o.kind === 'PrometheusRule')?.spec as { groups: Group[] } | undefined)?.groups ?? [];

const AGENT = 'namespace="monitoring",pod="ship-promship-0",job="ship-promship"';
const AGENT_LABELS = { namespace: 'monitoring', pod: 'ship-promship-0' };
const FLEET = 'cluster_id="cluster-two",env="prod",region="",job="ship-promship-fleet"';
// An empty label (region, which this cluster lacks) is no label to Prometheus.
const FLEET_LABELS = { cluster_id: 'cluster-two', env: 'prod', job: 'ship-promship-fleet' };

interface AlertCase {
  alert: string;
  series: Record<string, string>;
  at: string;
  /** Labels of the one expected alert (severity added from the rule), or null: must not fire. */
  fires: Record<string, string> | null;
}

const CASES: AlertCase[] = [
  {
    alert: 'PromshipRunsFailing',
    series: {
      [`promship_runs_total{${AGENT},result="error"}`]: '0+1x60',
      [`promship_runs_total{${AGENT},result="success"}`]: '0x60',
    },
    at: '40m',
    fires: AGENT_LABELS,
  },
  {
    alert: 'PromshipRunsFailing',
    series: {
      [`promship_runs_total{${AGENT},result="error"}`]: '0+1x60',
      [`promship_runs_total{${AGENT},result="success"}`]: '0+1x60',
    },
    at: '40m',
    fires: null,
  },
  {
    alert: 'PromshipRunsFailing',
    series: {
      [`promship_runs_total{${AGENT},result="partial"}`]: '0+1x60',
      [`promship_runs_total{${AGENT},result="success"}`]: '0+0x30 1+0x30',
    },
    at: '35m',
    fires: null,
  },
  {
    alert: 'PromshipLagging',
    series: { [`promship_shipping_lag_seconds{${AGENT}}`]: '0+600x60' },
    at: '60m',
    fires: { ...AGENT_LABELS, job: 'ship-promship' },
  },
  {
    alert: 'PromshipLagging',
    series: { [`promship_shipping_lag_seconds{${AGENT}}`]: '0+600x60' },
    at: '40m',
    fires: null,
  },
  {
    alert: 'PromshipLagging',
    series: { [`promship_shipping_lag_seconds{${AGENT}}`]: '7200x60' },
    at: '60m',
    fires: null,
  },
  {
    alert: 'PromshipWindowOvertaken',
    series: { [`promship_windows_overtaken_total{${AGENT}}`]: '0 0 0 1x20' },
    at: '10m',
    fires: { ...AGENT_LABELS, job: 'ship-promship' },
  },
  {
    alert: 'PromshipWindowOvertaken',
    series: { [`promship_windows_overtaken_total{${AGENT}}`]: '0x20' },
    at: '10m',
    fires: null,
  },
  {
    alert: 'PromshipNeverShipped',
    series: { [`promship_never_shipped{${AGENT}}`]: '1x180' },
    at: '150m',
    fires: { ...AGENT_LABELS, job: 'ship-promship' },
  },
  {
    alert: 'PromshipNeverShipped',
    series: { [`promship_never_shipped{${AGENT}}`]: '1x60 0x120' },
    at: '150m',
    fires: null,
  },
  {
    alert: 'PromshipRunRefused',
    series: { [`promship_run_failures_total{${AGENT},reason="PROMSHIP_BUCKET_UNREACHABLE"}`]: '0 0 1x20' },
    at: '10m',
    fires: { ...AGENT_LABELS, reason: 'PROMSHIP_BUCKET_UNREACHABLE' },
  },
  {
    alert: 'PromshipRunRefused',
    series: { [`promship_run_failures_total{${AGENT},reason="PROMSHIP_BUCKET_UNREACHABLE"}`]: '1x40' },
    at: '30m',
    fires: null,
  },
  {
    alert: 'PromshipRunsSkipped',
    series: {
      [`promship_runs_total{${AGENT},result="skipped"}`]: '0+1x120',
      [`promship_runs_total{${AGENT},result="success"}`]: '5x120',
    },
    at: '90m',
    fires: AGENT_LABELS,
  },
  {
    alert: 'PromshipRunsSkipped',
    series: {
      [`promship_runs_total{${AGENT},result="skipped"}`]: '0+1x120',
      [`promship_runs_total{${AGENT},result="success"}`]: '0+1x120',
    },
    at: '90m',
    fires: null,
  },
  {
    alert: 'PromshipFleetClusterLagging',
    series: { [`promship_fleet_lag_seconds{${FLEET}}`]: '30000x60' },
    at: '30m',
    fires: FLEET_LABELS,
  },
  {
    alert: 'PromshipFleetClusterLagging',
    series: { [`promship_fleet_lag_seconds{${FLEET}}`]: '3600x60' },
    at: '30m',
    fires: null,
  },
  {
    alert: 'PromshipFleetAgentStale',
    series: { [`promship_fleet_agent_stale{${FLEET}}`]: '1x30' },
    at: '20m',
    fires: FLEET_LABELS,
  },
  {
    alert: 'PromshipFleetAgentStale',
    series: { [`promship_fleet_agent_stale{${FLEET}}`]: '0x30' },
    at: '20m',
    fires: null,
  },
  {
    alert: 'PromshipFleetMultipleWriters',
    series: { [`promship_fleet_live_writers{${FLEET}}`]: '2x30' },
    at: '20m',
    fires: FLEET_LABELS,
  },
  {
    alert: 'PromshipFleetMultipleWriters',
    series: { [`promship_fleet_live_writers{${FLEET}}`]: '1x30' },
    at: '20m',
    fires: null,
  },
  {
    alert: 'PromshipFleetOverlappingBlocks',
    series: { [`promship_fleet_overlapping_blocks{${FLEET}}`]: '2x30' },
    at: '20m',
    fires: FLEET_LABELS,
  },
  {
    alert: 'PromshipFleetOverlappingBlocks',
    series: { [`promship_fleet_overlapping_blocks{${FLEET}}`]: '0x30' },
    at: '20m',
    fires: null,
  },
  {
    alert: 'PromshipFleetGap',
    series: { [`promship_fleet_gap_seconds{${FLEET}}`]: '7200x90' },
    at: '80m',
    fires: FLEET_LABELS,
  },
  { alert: 'PromshipFleetGap', series: { [`promship_fleet_gap_seconds{${FLEET}}`]: '0x90' }, at: '80m', fires: null },
  {
    alert: 'PromshipFleetLastRunFailing',
    series: { [`promship_fleet_last_run_failing{${FLEET}}`]: '1x60' },
    at: '50m',
    fires: FLEET_LABELS,
  },
  {
    alert: 'PromshipFleetLastRunFailing',
    series: { [`promship_fleet_last_run_failing{${FLEET}}`]: '0x60' },
    at: '50m',
    fires: null,
  },
  {
    alert: 'PromshipFleetRefreshFailing',
    series: {
      'promship_fleet_last_refresh_success_timestamp_seconds{job="fleet"}': '100x60',
      'promship_fleet_refreshes_total{job="fleet"}': '0+1x60',
    },
    at: '40m',
    fires: { job: 'fleet' },
  },
  {
    alert: 'PromshipFleetRefreshFailing',
    series: {
      'promship_fleet_last_refresh_success_timestamp_seconds{job="fleet"}': '0+60x60',
      'promship_fleet_refreshes_total{job="fleet"}': '0+1x60',
    },
    at: '40m',
    fires: null,
  },
];

void t.test('rendered only where the prometheus-operator API exists, unless told', async (t) => {
  t.same(rulesOf(await renderChart(t, REQUIRED_VALUES)), [], 'not without the API');
  t.ok(
    rulesOf(await renderChart(t, REQUIRED_VALUES, { apiVersions: ['monitoring.coreos.com/v1'] })).length > 0,
    'on with the API',
  );
  t.same(
    rulesOf(
      await renderChart(
        t,
        { ...REQUIRED_VALUES, prometheusRule: { enabled: false } },
        { apiVersions: ['monitoring.coreos.com/v1'] },
      ),
    ),
    [],
    'off when told',
  );
  const agentOnly = rulesOf(await renderChart(t, { ...REQUIRED_VALUES, prometheusRule: { enabled: true } }));
  t.same(
    agentOnly.map((g) => g.name),
    ['promship-agent'],
    'fleet alerts only with fleet.enabled',
  );
});

void t.test('promtool: every alert checks, fires and stays quiet', async (t) => {
  const dir = await tempDir(t);
  const groups = rulesOf(
    await renderChart(t, { ...REQUIRED_VALUES, fleet: { enabled: true }, prometheusRule: { enabled: true } }),
  );
  await writeFile(join(dir, 'rendered.yml'), stringify({ groups }));
  const check = await promtool(['check', 'rules', 'rendered.yml'], dir);
  t.equal(check.code, 0, `promtool check rules (${check.output})`);

  const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert)).filter((a): a is string => a !== undefined);
  for (const a of alerts) {
    t.ok(
      CASES.some((c) => c.alert === a && c.fires),
      `${a} has a firing case`,
    );
    t.ok(
      CASES.some((c) => c.alert === a && !c.fires),
      `${a} has a not-firing case`,
    );
  }
  // Annotations are templates checked above; the unit tests compare what fires and with which labels.
  const severity = new Map(groups.flatMap((g) => g.rules.map((r) => [r.alert, r.labels?.severity] as const)));
  const bare = groups.map((g) => ({ ...g, rules: g.rules.map((r): Rule => ({ ...r, annotations: {} })) }));
  await writeFile(join(dir, 'rules.yml'), stringify({ groups: bare }));
  const tests = CASES.map((c) => ({
    name: `${c.alert} ${c.fires ? 'fires' : 'stays quiet'}`,
    interval: '1m',
    input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
    alert_rule_test: [
      {
        eval_time: c.at,
        alertname: c.alert,
        exp_alerts: c.fires ? [{ exp_labels: { ...c.fires, severity: severity.get(c.alert) } }] : [],
      },
    ],
  }));
  await writeFile(join(dir, 'tests.yml'), stringify({ rule_files: ['rules.yml'], evaluation_interval: '1m', tests }));
  const run = await promtool(['test', 'rules', 'tests.yml'], dir);
  t.equal(run.code, 0, `promtool test rules:\n${run.output}`);

  // The same tests against rules that never fire must fail: the tests can tell.
  const silent = bare.map((g) => ({
    ...g,
    rules: g.rules.map((r) => ({ ...r, expr: `(${r.expr}) and on() vector(0) > 1` })),
  }));
  await writeFile(join(dir, 'rules.yml'), stringify({ groups: silent }));
  const broken = await promtool(['test', 'rules', 'tests.yml'], dir);
  t.not(broken.code, 0, 'rules that never fire fail the tests');
});
