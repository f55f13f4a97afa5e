/**
 * Prometheus `relabel_config`s: parsed from the YAML users already write under
 * `write_relabel_configs` (snake_case) or a prometheus-operator resource (camelCase), defaulted
 * and validated with Prometheus' own messages, each naming the rule's index and field.
 */
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';
import { hasTemplateVar } from './expand.ts';
import { RelabelRegex } from './regex.ts';

export const ACTIONS = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface RelabelRule {
  sourceLabels: readonly string[];
  separator: string;
  targetLabel: string;
  regex: RelabelRegex;
  /** uint64 in Prometheus; a bigint keeps every value exact. */
  modulus: bigint;
  replacement: string;
  action: Action;
}

/** A rule as written, before defaults: what the hash of the rules in force is taken over. */
export interface RuleSpec {
  sourceLabels?: string[];
  separator?: string;
  targetLabel?: string;
  regex?: string;
  modulus?: string;
  replacement?: string;
  action?: string;
}

export const DEFAULTS = { separator: ';', regex: '(.*)', replacement: '$1', action: 'replace' } as const;

/** Field names as written in YAML → our names. Both spellings Prometheus users meet are accepted. */
const FIELDS: Record<string, keyof RuleSpec> = {
  source_labels: 'sourceLabels',
  sourceLabels: 'sourceLabels',
  separator: 'separator',
  target_label: 'targetLabel',
  targetLabel: 'targetLabel',
  regex: 'regex',
  modulus: 'modulus',
  replacement: 'replacement',
  action: 'action',
};

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Prometheus' `relabelTarget`: a label name that may contain `$1`, `${name}` references. */
const TARGET_WITH_VARS = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;

/** A rule that fails validation: `field` is the YAML field the message is about. */
class RelabelRuleError extends ConfigError {
  constructor(
    readonly index: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`rule ${index} (${field}): ${reason}`);
  }
}

/** Label names as Prometheus 2.x and Thanos accept them everywhere (see docs/relabel.md). */
export function isValidLabelName(name: string): boolean {
  return LEGACY_NAME.test(name);
}

/** Parses a YAML (or JSON) list of relabel configs; throws RelabelRuleError / ConfigError. */
export function parseRelabelYaml(text: string): { rules: RelabelRule[]; specs: RuleSpec[] } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  if (doc === null || doc === undefined) return { rules: [], specs: [] };
  // A whole `write_relabel_configs:` / `writeRelabelConfigs:` block pasted as is is accepted too.
  if (!Array.isArray(doc) && typeof doc === 'object') {
    const keys = Object.keys(doc);
    const only = keys.length === 1 ? keys[0] : undefined;
    if (only !== undefined && /^(write_?relabel_?configs|relabel_?configs|metric_?relabel_?configs)$/i.test(only)) {
      doc = (doc as Record<string, unknown>)[only];
    }
  }
  if (!Array.isArray(doc))
    throw new ConfigError('must be a YAML list of relabel configs (- source_labels: … action: …)');
  const specs = doc.map((raw, i) => readSpec(raw, i));
  return { rules: specs.map((s, i) => compileRule(s, i)), specs };
}

function readSpec(raw: unknown, index: number): RuleSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RelabelRuleError(index, 'rule', 'must be a mapping of relabel_config fields');
  }
  const spec: RuleSpec = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const field = FIELDS[key];
    if (!field) throw new RelabelRuleError(index, key, `field ${key} not found in type relabel.Config`);
    if (value === null || value === undefined) continue;
    if (field === 'sourceLabels') {
      if (!Array.isArray(value)) throw new RelabelRuleError(index, key, 'must be a list of label names');
      spec.sourceLabels = value.map((v: unknown) => scalar(v, index, key));
      continue;
    }
    spec[field] = scalar(value, index, key);
  }
  return spec;
}

function scalar(value: unknown, index: number, key: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  throw new RelabelRuleError(index, key, 'must be a string');
}

/** Defaults, then Prometheus' `Config.Validate`, in its order and with its messages. */
export function compileRule(spec: RuleSpec, index: number): RelabelRule {
  const fail = (field: string, reason: string): never => {
    throw new RelabelRuleError(index, field, reason);
  };
  const actionText = spec.action ?? DEFAULTS.action;
  if (actionText === '') fail('action', 'relabel action cannot be empty');
  const action =
    ACTIONS.find((a) => a === actionText.toLowerCase()) ??
    fail('action', `unknown relabel action ${JSON.stringify(actionText)}`);
  for (const name of spec.sourceLabels ?? []) {
    if (!isValidLabelName(name)) fail('source_labels', `${JSON.stringify(name)} is not a valid label name`);
  }
  let modulus = 0n;
  if (spec.modulus !== undefined) {
    if (!/^[0-9]+$/.test(spec.modulus.trim()) || BigInt(spec.modulus.trim()) >= 2n ** 64n) {
      fail('modulus', `${JSON.stringify(spec.modulus)} is not an unsigned 64-bit integer`);
    }
    modulus = BigInt(spec.modulus.trim());
  }
  let regex: RelabelRegex;
  try {
    regex = new RelabelRegex(spec.regex ?? DEFAULTS.regex);
  } catch (err) {
    return fail('regex', (err as Error).message);
  }
  const targetLabel = spec.targetLabel ?? '';
  const replacement = spec.replacement ?? DEFAULTS.replacement;
  const separator = spec.separator ?? DEFAULTS.separator;
  const needsTarget = ['replace', 'hashmod', 'lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action);
  const noReplacement = ['lowercase', 'uppercase', 'keepequal', 'dropequal'].includes(action);

  if (action === 'hashmod' && modulus === 0n)
    fail('modulus', 'relabel configuration for hashmod requires non-zero modulus');
  if (needsTarget && targetLabel === '')
    fail('target_label', `relabel configuration for ${action} action requires 'target_label' value`);
  if (
    action === 'replace' &&
    !(hasTemplateVar(targetLabel) ? TARGET_WITH_VARS.test(targetLabel) : isValidLabelName(targetLabel))
  ) {
    fail('target_label', `${JSON.stringify(targetLabel)} is invalid 'target_label' for ${action} action`);
  }
  if (noReplacement && !isValidLabelName(targetLabel)) {
    fail('target_label', `${JSON.stringify(targetLabel)} is invalid 'target_label' for ${action} action`);
  }
  if (noReplacement && replacement !== DEFAULTS.replacement)
    fail('replacement', `'replacement' can not be set for ${action} action`);
  if (action === 'labelmap' && !TARGET_WITH_VARS.test(replacement)) {
    fail('replacement', `${JSON.stringify(replacement)} is invalid 'replacement' for ${action} action`);
  }
  if (action === 'hashmod' && !isValidLabelName(targetLabel)) {
    fail('target_label', `${JSON.stringify(targetLabel)} is invalid 'target_label' for ${action} action`);
  }
  if (action === 'keepequal' || action === 'dropequal') {
    const extra = firstSet(spec, ['regex', 'modulus', 'separator', 'replacement'], {
      regex: DEFAULTS.regex,
      separator: DEFAULTS.separator,
      replacement: DEFAULTS.replacement,
      modulus: '0',
    });
    if (extra) fail(extra, `${action} action requires only 'source_labels' and \`target_label\`, and no other fields`);
  }
  if (action === 'labeldrop' || action === 'labelkeep') {
    if (spec.sourceLabels !== undefined)
      fail('source_labels', `${action} action requires only 'regex', and no other fields`);
    const extra = firstSet(spec, ['targetLabel', 'modulus', 'separator', 'replacement'], {
      targetLabel: '',
      separator: DEFAULTS.separator,
      replacement: DEFAULTS.replacement,
      modulus: '0',
    });
    if (extra) fail(extra, `${action} action requires only 'regex', and no other fields`);
  }
  return { sourceLabels: spec.sourceLabels ?? [], separator, targetLabel, regex, modulus, replacement, action };
}

const YAML_NAME: Record<string, string> = { targetLabel: 'target_label', sourceLabels: 'source_labels' };

/** The first field set to something other than its default, by its YAML name. */
function firstSet(
  spec: RuleSpec,
  fields: (keyof RuleSpec)[],
  defaults: Partial<Record<keyof RuleSpec, string>>,
): string | undefined {
  for (const f of fields) {
    const v = spec[f];
    if (v === undefined || Array.isArray(v)) continue;
    const normal = f === 'modulus' ? String(BigInt(/^[0-9]+$/.test(v.trim()) ? v.trim() : '1')) : v;
    if (normal !== defaults[f]) return YAML_NAME[f] ?? f;
  }
  return undefined;
}
