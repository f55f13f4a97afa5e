import t from 'tap';
import { buildRelabelPlan, pushDownQueries, rulesHash } from '../../src/relabel/plan.ts';
import { KUBECOST_PRESET } from '../../src/relabel/presets/kubecost.ts';
import { compileRule, parseRelabelYaml } from '../../src/relabel/rules.ts';

t.test('the rules hash ignores YAML spelling and key order, and changes with the rules', async (t) => {
  const snake = parseRelabelYaml('- source_labels: [a]\n  action: keep\n  regex: x\n').specs;
  const camel = parseRelabelYaml('- regex: x\n  sourceLabels: [a]\n  action: keep\n').specs;
  t.equal(rulesHash('none', snake), rulesHash('none', camel));
  t.not(rulesHash('none', snake), rulesHash('kubecost', snake));
  t.not(
    rulesHash('none', snake),
    rulesHash('none', parseRelabelYaml('- source_labels: [a]\n  action: keep\n  regex: y\n').specs),
  );
});

t.test('the kubecost preset keeps by name or job and never drops a label', async (t) => {
  const plan = buildRelabelPlan('kubecost', []);
  if (!plan) throw new Error('no plan');
  const labels = [
    ['__name__', 'container_cpu_usage_seconds_total'],
    ['container', 'main'],
    ['container_name', 'main'],
    ['job', 'kubelet'],
    ['pod', 'p'],
    ['pod_name', 'p'],
  ] as const;
  t.equal(plan.relabeler.process(labels), labels, 'kept untouched');
  t.equal(
    plan.relabeler.process([
      ['__name__', 'container_memory_rss'],
      ['job', 'kubelet'],
    ]),
    null,
  );
  const own = [
    ['__name__', 'anything_at_all'],
    ['job', 'kubecost-networking'],
  ] as const;
  t.equal(plan.relabeler.process(own), own, 'a keep-everything job');
  t.equal(plan.mayMerge, false, 'the preset alone cannot merge series');
  t.equal(KUBECOST_PRESET.metricNames.length, new Set(KUBECOST_PRESET.metricNames).size, 'no name twice');
});

t.test('push-down: leading keeps on __name__ alone; queries disjoint with the preset', async (t) => {
  const rules = parseRelabelYaml(
    '- source_labels: [__name__]\n  regex: "node_.*"\n  action: keep\n- source_labels: [__name__, job]\n  regex: ".*;x"\n  action: keep\n- source_labels: [__name__]\n  regex: "up"\n  action: keep\n',
  ).rules;
  t.same(
    pushDownQueries('none', rules),
    [[{ type: 'RE', name: '__name__', value: '(?s:node_.*)' }]],
    'stops at the first other rule',
  );
  t.equal(
    pushDownQueries('none', [compileRule({ sourceLabels: ['__name__'], regex: 'x', action: 'drop' }, 0)]),
    undefined,
    'a drop is not pushed down',
  );
  const q = pushDownQueries('kubecost', []);
  t.equal(q?.length, 2);
  t.same(
    q?.[1]?.map((m) => `${m.name}${m.type}`),
    ['jobRE', '__name__NRE'],
    'the job query excludes the named series',
  );
});
