/**
 * The relabel engine's own CPU cost per window at ~250k series, in process (so a loaded machine
 * skews it far less than wall times of whole ships): the label sets of the generated cluster mix
 * run through the keep-all rules of bench/relabel.ts (plus the collision pass's hashing, which
 * those rules switch on) and through the kubecost preset. Compare with the ship time of the same
 * window from bench/relabel.ts.
 *
 *   node --import tsx bench/relabel-engine.ts     # BENCH_NODES=18 BENCH_PODS=30 by default
 */
import { compareStrings, type Labels } from '../src/labels.ts';
import { buildRelabelPlan } from '../src/relabel/plan.ts';
import { parseRelabelYaml } from '../src/relabel/rules.ts';
import { CollisionFinder } from '../src/shipper/collisions.ts';
import { mixFamilies } from '../test/helpers/cluster-mix.ts';
import { KEEP_ALL_RULES } from './relabel-rules.ts';

const nodes = Number(process.env.BENCH_NODES ?? 18);
const pods = Number(process.env.BENCH_PODS ?? 30);
const sets: Labels[] = [];
for (const f of mixFamilies({ nodes, podsPerNode: pods })) {
  for (const s of f.series)
    sets.push(Object.entries({ __name__: f.name, ...s }).sort((a, b) => compareStrings(a[0], b[0])));
}
// The worst case for the collision pass: a rule that changes every series, so every one is hashed.
const CHANGE_ALL_RULES = `${KEEP_ALL_RULES}- target_label: team
  replacement: platform
`;
const plans = {
  'keep-all rules': () => buildRelabelPlan('none', parseRelabelYaml(KEEP_ALL_RULES).specs)!,
  'keep-all rules + one label added to every series': () =>
    buildRelabelPlan('none', parseRelabelYaml(CHANGE_ALL_RULES).specs)!,
  kubecost: () => buildRelabelPlan('kubecost', [])!,
};
const rows = [];
for (const [name, makePlan] of Object.entries(plans)) {
  const plan = makePlan();
  const cpu: number[] = [];
  let kept = 0;
  for (let r = 0; r < 5; r++) {
    // Fresh memo per run: the first window of a run pays for every distinct value.
    const fresh = makePlan();
    const finder = fresh.mayMerge ? new CollisionFinder({ everySeries: false }) : undefined;
    const before = process.cpuUsage();
    kept = 0;
    for (const labels of sets) {
      const out = fresh.relabeler.process(labels);
      if (out !== null) {
        kept++;
        finder?.add(out, out !== labels);
      }
    }
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  }
  cpu.sort((a, b) => a - b);
  rows.push({
    scenario: name,
    series: sets.length,
    kept,
    mayMerge: plan.mayMerge,
    cpuMsMedian: Math.round(cpu[2]!),
    usPerSeries: +((cpu[2]! * 1000) / sets.length).toFixed(2),
    cpuMsAll: cpu.map(Math.round),
  });
}
console.log(JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
