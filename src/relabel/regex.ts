/**
 * Relabel regexes, compiled by RE2 (re2js, a port of Go's regexp) exactly as Prometheus 3.x does:
 * fully anchored, `.` matching a newline. Never translated to a JavaScript RegExp, whose syntax
 * and matching differ (see docs/relabel.md).
 */
import { RE2JS } from 're2js';
import type { MatchGroups } from './expand.ts';

/** A pure alternation of literal words: matched by a Set, as Prometheus' FastRegexMatcher does. */
const LITERAL_ALTERNATION = /^[A-Za-z0-9_:]+(?:\|[A-Za-z0-9_:]+)*$/;
const MEMO_LIMIT = 50_000;

/** Answers for joined source values, keyed value by value: one Map level per source label. */
type PartsMemo = Map<string, boolean | PartsMemo>;

export class RelabelRegex {
  /** The pattern as written in the rule. */
  readonly source: string;
  readonly #re: RE2JS;
  readonly #literals: ReadonlySet<string> | undefined;
  #memo = new Map<string, boolean>();
  #partsMemo: PartsMemo = new Map();
  #partsMemoSize = 0;
  #partsSeparator: string | undefined;
  #partsCount = 0;

  /** Throws RE2's own `error parsing regexp: …` message for a pattern Go would refuse. */
  constructor(source: string) {
    this.source = source;
    this.#re = RE2JS.compile(`^(?s:${source})$`);
    this.#literals = LITERAL_ALTERNATION.test(source) ? new Set(source.split('|')) : undefined;
  }

  /** The literal words of a pure alternation (`a|b|c`), else undefined. */
  get literals(): ReadonlySet<string> | undefined {
    return this.#literals;
  }

  /** Whether the whole of `text` matches. */
  matches(text: string): boolean {
    if (this.#literals) return this.#literals.has(text);
    let hit = this.#memo.get(text);
    if (hit === undefined) {
      hit = this.#re.testExact(text);
      // Label values repeat a lot (metric names, jobs, namespaces), but not without bound.
      if (this.#memo.size >= MEMO_LIMIT) this.#memo = new Map();
      this.#memo.set(text, hit);
    }
    return hit;
  }

  /**
   * Whether `parts.join(separator)` matches, without joining them for a value seen before:
   * hashing a fresh joined string per series cost more than the match it looked up.
   */
  matchesParts(parts: readonly string[], separator: string): boolean {
    if (parts.length === 1) return this.matches(parts[0]!);
    if (this.#literals || parts.length === 0) return this.matches(parts.join(separator));
    if (separator !== this.#partsSeparator || parts.length !== this.#partsCount || this.#partsMemoSize >= MEMO_LIMIT) {
      this.#partsMemo = new Map();
      this.#partsMemoSize = 0;
      this.#partsSeparator = separator;
      this.#partsCount = parts.length;
    }
    let node = this.#partsMemo;
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(parts[i]!);
      if (next === undefined) {
        next = new Map();
        node.set(parts[i]!, next);
      }
      // Above the last level every value is a Map: the memo holds one count of parts.
      node = next as PartsMemo;
    }
    let hit = node.get(parts[last]!) as boolean | undefined;
    if (hit === undefined) {
      hit = this.#re.testExact(parts.join(separator));
      node.set(parts[last]!, hit);
      this.#partsMemoSize++;
    }
    return hit;
  }

  /** The groups of the whole-text match, or undefined when `text` does not match. */
  match(text: string): MatchGroups | undefined {
    const m = this.#re.matcher(text);
    if (!m.matches()) return undefined;
    const groups: (string | null)[] = [];
    for (let i = 0; i <= m.groupCount(); i++) groups.push(m.group(i));
    return { groups, named: this.#re.namedGroups() };
  }
}
