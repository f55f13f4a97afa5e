/** Runs relabel rules on one series' labels, as Prometheus' `relabel.Process` does. */
import { createHash } from 'node:crypto';
import type { Labels } from '../labels.ts';
import { expandTemplate, hasTemplateVar } from './expand.ts';
import { LabelBuilder } from './label-builder.ts';
import { DEFAULTS, isValidLabelName, type RelabelRule } from './rules.ts';

export class Relabeler {
  readonly rules: readonly RelabelRule[];
  readonly #lb = new LabelBuilder();
  /** The source values of the rule at hand, reused from series to series. */
  readonly #parts: string[] = [];

  constructor(rules: readonly RelabelRule[]) {
    this.rules = rules;
  }

  /**
   * The labels after every rule, or null when a rule dropped the series (or it lost every label).
   * Returns `labels` itself when no rule changed anything, so callers can tell cheaply.
   */
  process(labels: Labels): Labels | null {
    const rules = this.rules;
    if (rules.length === 0) return labels;
    const lb = this.#lb;
    lb.reset(labels);
    for (let i = 0; i < rules.length; i++) {
      if (!applyRule(rules[i]!, lb, this.#parts)) return null;
    }
    const out = lb.labels();
    return out.length === 0 ? null : out;
  }
}

/** Whether the rule's regex matches its source values joined by its separator. */
function sourceMatches(rule: RelabelRule, lb: LabelBuilder, parts: string[]): boolean {
  const src = rule.sourceLabels;
  if (src.length === 1) return rule.regex.matches(lb.get(src[0]!));
  if (parts.length !== src.length) parts.length = src.length;
  for (let i = 0; i < src.length; i++) parts[i] = lb.get(src[i]!);
  return rule.regex.matchesParts(parts, rule.separator);
}

function sourceValue(rule: RelabelRule, lb: LabelBuilder): string {
  const src = rule.sourceLabels;
  if (src.length === 1) return lb.get(src[0]!);
  return src.map((n) => lb.get(n)).join(rule.separator);
}

/** One rule on the builder; false when it drops the series. */
function applyRule(rule: RelabelRule, lb: LabelBuilder, parts: string[]): boolean {
  switch (rule.action) {
    case 'drop':
      return !sourceMatches(rule, lb, parts);
    case 'keep':
      return sourceMatches(rule, lb, parts);
    case 'dropequal':
      return lb.get(rule.targetLabel) !== sourceValue(rule, lb);
    case 'keepequal':
      return lb.get(rule.targetLabel) === sourceValue(rule, lb);
    case 'replace': {
      const value = sourceValue(rule, lb);
      // Prometheus' fast path: the default regex on an empty value with literal target and
      // replacement sets the target directly (the general path would give the same).
      if (
        value === '' &&
        rule.regex.source === DEFAULTS.regex &&
        !hasTemplateVar(rule.targetLabel) &&
        !hasTemplateVar(rule.replacement)
      ) {
        lb.set(rule.targetLabel, rule.replacement);
        return true;
      }
      // Most values do not match: the memoised test spares them RE2's capturing matcher.
      if (!rule.regex.matches(value)) return true;
      const m = rule.regex.match(value);
      if (!m) return true;
      const target = expandTemplate(rule.targetLabel, m);
      if (!isValidLabelName(target)) return true;
      lb.set(target, expandTemplate(rule.replacement, m));
      return true;
    }
    case 'lowercase':
      lb.set(rule.targetLabel, goLower(sourceValue(rule, lb)));
      return true;
    case 'uppercase':
      lb.set(rule.targetLabel, goUpper(sourceValue(rule, lb)));
      return true;
    case 'hashmod':
      lb.set(rule.targetLabel, String(hashmod(sourceValue(rule, lb), rule.modulus)));
      return true;
    case 'labelmap':
      lb.range((name, v) => {
        const m = rule.regex.matches(name) ? rule.regex.match(name) : undefined;
        if (!m) return;
        // The regex is anchored, so Go's ReplaceAllString replaces the one whole-name match. A
        // name that expands to something no block may hold is skipped (see docs/relabel.md).
        const target = expandTemplate(rule.replacement, m);
        if (isValidLabelName(target)) lb.set(target, v);
      });
      return true;
    case 'labeldrop':
      lb.deleteNames(rule.regex, true);
      return true;
    case 'labelkeep':
      lb.deleteNames(rule.regex, false);
      return true;
  }
}

/** md5 of the value, its bytes 8..15 as a big-endian uint64, modulo `modulus`. */
export function hashmod(value: string, modulus: bigint): bigint {
  const sum = createHash('md5').update(value, 'utf8').digest();
  return sum.readBigUInt64BE(8) % modulus;
}

/**
 * Go's strings.ToLower/ToUpper map each code point by Unicode's simple case mapping; JavaScript
 * applies the full, context-sensitive one (final sigma, `ß` → `SS`, `İ` → `i̇`). Per code point,
 * a mapping that would become several code points is not a simple one.
 */
function goLower(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(s)) return s.toLowerCase();
  let out = '';
  for (const ch of s) {
    const low = ch.toLowerCase();
    out += oneCodePoint(low) ? low : ch === '\u0130' ? 'i' : ch;
  }
  return out;
}

function goUpper(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(s)) return s.toUpperCase();
  let out = '';
  for (const ch of s) {
    const up = ch.toUpperCase();
    out += oneCodePoint(up) ? up : ch;
  }
  return out;
}

function oneCodePoint(s: string): boolean {
  return s.length === 1 || (s.length === 2 && (s.codePointAt(0) ?? 0) > 0xffff);
}
