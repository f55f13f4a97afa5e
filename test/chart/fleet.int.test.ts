/**
 * fleet.enabled: `promship fleet serve` as its own Deployment (one replica, the agent's locked-down
 * pod), Service and ServiceMonitor, selecting only its own pod; with the PrometheusRule and the
 * dashboard, every object validates against its Kubernetes schema. Its environment is only the
 * bucket's, and promship's fleet command accepts it.
 */
import t from 'tap';
import { loadFleetConfig } from '../../src/fleet/command.ts';
import { REQUIRED_VALUES, deploymentOf, envOf, helmTemplate, renderChart, type K8sObject } from '../helpers/helm.ts';
import { validateK8sObject } from '../helpers/k8s-schemas.ts';

const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

void t.test('fleet.enabled renders the fleet view beside the agent', async (t) => {
  t.notOk(
    (await renderChart(t, REQUIRED_VALUES)).some((o) => o.metadata.name.endsWith('-fleet')),
    'off by default',
  );
  const values = {
    ...REQUIRED_VALUES,
    bucket: { url: '', existingSecret: { name: 'kubecost-thanos' } },
    fleet: { enabled: true, lookback: '3d' },
    serviceMonitor: { enabled: true },
    prometheusRule: { enabled: true },
    grafanaDashboard: { enabled: true },
  };
  const objects = await renderChart(t, values);
  for (const o of objects)
    t.doesNotThrow(() => {
      validateK8sObject(o);
    }, `${o.kind} ${o.metadata.name} validates`);
  const named = (kind: string, name: string): K8sObject | undefined =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);
  t.ok(named('Service', 'ship-promship-fleet'), 'its own Service');
  t.ok(named('ServiceMonitor', 'ship-promship-fleet'), 'its own ServiceMonitor');
  t.ok(named('PrometheusRule', 'ship-promship'), 'the rule');
  t.ok(named('ConfigMap', 'ship-promship-dashboard'), 'the dashboard');

  const fleet = deploymentOf(objects, 'fleet');
  const agent = deploymentOf(objects);
  t.equal(fleet.spec.replicas, 1, 'one replica');
  t.same(fleet.container.args, ['fleet', 'serve']);
  t.same(fleet.container.securityContext, agent.container.securityContext, "the agent's container security context");
  t.same(fleet.pod.securityContext, agent.pod.securityContext, "the agent's pod security context");
  t.equal(fleet.pod.automountServiceAccountToken, false);
  t.equal(fleet.container.livenessProbe?.httpGet?.path, '/healthz');
  t.equal(fleet.container.readinessProbe?.httpGet?.path, '/readyz');
  for (const m of fleet.container.volumeMounts ?? []) {
    const v = fleet.pod.volumes?.find((x) => x.name === m.name);
    if (!v?.emptyDir) t.equal(m.readOnly, true, `${m.mountPath} read-only`);
  }

  const fleetPod = fleet.spec.template.metadata.labels;
  const agentPod = agent.spec.template.metadata.labels;
  const svc = (name: string): Record<string, string> =>
    (named('Service', name)?.spec as { selector: Record<string, string> }).selector;
  t.ok(selects(svc('ship-promship-fleet'), fleetPod), 'the fleet Service selects the fleet pod');
  t.notOk(selects(svc('ship-promship-fleet'), agentPod), 'and not the agent');
  t.notOk(selects(svc('ship-promship'), fleetPod), "the agent's Service does not select the fleet pod");
  t.notOk(selects(agent.spec.selector.matchLabels, fleetPod), "the agent's Deployment does not select it either");

  const env = envOf(fleet.container);
  t.notOk(env.has('PROMSHIP_CLUSTER_ID'), 'no cluster id');
  t.notOk(env.has('PROMSHIP_PROMETHEUS_URL'), 'no Prometheus');
  t.equal(env.get('PROMSHIP_FLEET_LOOKBACK')?.value, '3d');
  const plain = Object.fromEntries([...env].filter(([, e]) => e.value !== undefined).map(([k, e]) => [k, e.value!]));
  // The Secret's files exist only in the pod.
  const config = loadFleetConfig({ env: plain }, { checkFiles: false });
  t.equal(config.fleetLookback, 3 * 86_400_000, 'promship fleet reads its environment');
  t.equal(
    config.objstoreConfigFile,
    '/etc/promship/objstore/object-store.yaml',
    'the objstore YAML from the existing Secret',
  );
});

void t.test('bad fleet values are refused by the schema, naming the value', async (t) => {
  const r = await helmTemplate(t, { ...REQUIRED_VALUES, fleet: { enabled: true, refresh: 'often' } });
  t.not(r.code, 0);
  t.match(r.stderr, /fleet\.refresh|refresh/);
});
