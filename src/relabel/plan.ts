/**
 * The relabelling in force for a run: the preset's rule, then the user's rules; a hash of them
 * for the ledger; and the remote-read queries that push leading `keep` rules on `__name__` down
 * to Prometheus (every rule still runs locally: the queries only shrink what crosses the wire).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { Relabeler } from './apply.ts';
import { KUBECOST_PRESET } from './presets/kubecost.ts';
import { compileRule, parseRelabelYaml, type RelabelRule, type RuleSpec } from './rules.ts';

export const PRESETS = ['none', 'kubecost'] as const;
export type PresetName = (typeof PRESETS)[number];

/** A remote-read label matcher, as `prometheus/` takes it. */
export interface Matcher {
  type: 'EQ' | 'NEQ' | 'RE' | 'NRE';
  name: string;
  value: string;
}

export interface RelabelPlan {
  relabeler: Relabeler;
  /** sha256 (first 16 hex digits) of the preset and the rules as written; in the ledger. */
  hash: string;
  /** Rules that can rename or rewrite labels, so two series may end as one (merged). */
  mayMerge: boolean;
  /**
   * Remote-read queries whose union holds every series the rules can keep, disjoint, so each
   * series comes back from exactly one; undefined to read everything.
   */
  queries: Matcher[][] | undefined;
  preset: PresetName;
  /** The user's rules (not counting the preset's). */
  userRules: number;
}

const LABEL_CHANGING = new Set(['replace', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase']);

/** The preset as rules: one `keep` on the metric name or the job; it never drops a label. */
function presetRules(preset: PresetName): RuleSpec[] {
  if (preset === 'none') return [];
  return [
    {
      sourceLabels: ['__name__', 'job'],
      separator: ';',
      regex: `(?:${KUBECOST_PRESET.metricNames.join('|')});.*|[^;]*;${KUBECOST_PRESET.keepJobsRegex}`,
      action: 'keep',
    },
  ];
}

/** Reads and validates the rules file and preset: a ConfigError naming the setting, rule and field. */
export function loadRelabelPlan(opts: { file?: string | undefined; preset: PresetName }): RelabelPlan | undefined {
  let user: { rules: RelabelRule[]; specs: RuleSpec[] } = { rules: [], specs: [] };
  if (opts.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `invalid PROMSHIP_RELABEL_CONFIG_FILE: cannot read '${opts.file}' (${(err as { code?: string }).code ?? 'unreadable'})`,
      );
    }
    try {
      user = parseRelabelYaml(text);
    } catch (err) {
      throw new ConfigError(`invalid PROMSHIP_RELABEL_CONFIG_FILE: ${(err as Error).message}`, { cause: err });
    }
  }
  return buildRelabelPlan(opts.preset, user.specs);
}

export function buildRelabelPlan(preset: PresetName, userSpecs: RuleSpec[]): RelabelPlan | undefined {
  if (preset === 'none' && userSpecs.length === 0) return undefined;
  const presetSpecs = presetRules(preset);
  const rules = [...presetSpecs.map((s, i) => compileRule(s, i)), ...userSpecs.map((s, i) => compileRule(s, i))];
  return {
    relabeler: new Relabeler(rules),
    hash: rulesHash(preset, userSpecs),
    mayMerge: rules.some((r) => LABEL_CHANGING.has(r.action)),
    queries: pushDownQueries(preset, rules.slice(presetSpecs.length)),
    preset,
    userRules: userSpecs.length,
  };
}

/** Stable across key order and YAML spelling: the preset's name and each rule's fields as written. */
export function rulesHash(preset: PresetName, specs: RuleSpec[]): string {
  const canonical = JSON.stringify({
    preset,
    rules: specs.map((s) => Object.fromEntries(Object.entries(s).sort(([a], [b]) => (a < b ? -1 : 1)))),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/**
 * Leading `keep` rules on `__name__` alone become `__name__=~` matchers (all of them must hold:
 * each keep drops what it does not match). `(?s:…)` makes Prometheus' `^(?:…)$` matcher match
 * what our `^(?s:…)$` does. With the kubecost preset, a second, disjoint query fetches its jobs.
 */
export function pushDownQueries(preset: PresetName, userRules: readonly RelabelRule[]): Matcher[][] | undefined {
  const nameMatchers: Matcher[] = [];
  for (const rule of userRules) {
    if (rule.action !== 'keep' || rule.sourceLabels.length !== 1 || rule.sourceLabels[0] !== '__name__') break;
    nameMatchers.push({ type: 'RE', name: '__name__', value: `(?s:${rule.regex.source})` });
  }
  if (preset === 'kubecost') {
    const names = KUBECOST_PRESET.metricNames.join('|');
    return [
      [{ type: 'RE', name: '__name__', value: names }, ...nameMatchers],
      [
        { type: 'RE', name: 'job', value: `(?s:${KUBECOST_PRESET.keepJobsRegex})` },
        { type: 'NRE', name: '__name__', value: names },
        ...nameMatchers,
      ],
    ];
  }
  return nameMatchers.length > 0 ? [nameMatchers] : undefined;
}
