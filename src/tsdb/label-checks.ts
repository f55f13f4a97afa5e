/**
 * Label-set checks for series going into a block: non-empty, names sorted (Go byte order) and
 * unique, no empty name or value, no lone UTF-16 surrogate. Kept apart from the index writer,
 * which relies on them but only lays out bytes.
 */
import { compareStrings, formatLabels, type Label, type Labels } from '../labels.ts';
import { InvalidLabelsError } from './errors.ts';

const SURROGATE = /\p{Surrogate}/u;

/** Whether `s` holds a lone UTF-16 surrogate; the regular expression only for the rare string with any surrogate. */
function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return SURROGATE.test(s);
  }
  return false;
}

/**
 * Throws `InvalidLabelsError` unless the set is non-empty, names are sorted (Go byte order) and
 * unique, and no name or value is empty or holds a lone UTF-16 surrogate (which has no UTF-8 form);
 * for series one after another: names and values equal to the previous valid
 * series' at the same place skip the string checks (series arrive sorted, so most names and many
 * values repeat; the order is still checked). It keeps its own copies of those strings, so a
 * caller that reuses a label array cannot make it skip a string that was never checked.
 */
export class LabelValidator {
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private count = 0;

  check(labels: Labels): void {
    checkLabels(labels, this.names, this.values, this.count);
    for (let k = 0; k < labels.length; k++) {
      this.names[k] = labels[k]![0];
      this.values[k] = labels[k]![1];
    }
    this.count = labels.length;
  }
}

function checkLabels(labels: Labels, names: readonly string[], values: readonly string[], known: number): void {
  if (labels.length === 0) {
    throw new InvalidLabelsError('a series has no labels; every series needs at least one label');
  }
  let prev: Label | undefined;
  for (let k = 0; k < labels.length; k++) {
    const label = labels[k]!;
    const [name, value] = label;
    const nameKnown = k < known && names[k] === name;
    const valueKnown = k < known && values[k] === value;
    if (!nameKnown || !valueKnown) {
      if (typeof name !== 'string' || typeof value !== 'string') {
        throw new InvalidLabelsError(`series ${safeFormat(labels)} has a label that is not a pair of strings`);
      }
      if (name === '' || value === '') {
        throw new InvalidLabelsError(
          `series ${safeFormat(labels)} has an empty label ${name === '' ? 'name' : `value for ${name}`}; Prometheus treats empty values as absent, drop the label`,
        );
      }
      if ((!nameKnown && hasLoneSurrogate(name)) || (!valueKnown && hasLoneSurrogate(value))) {
        throw new InvalidLabelsError(`series ${safeFormat(labels)} has a label with invalid UTF-16 (lone surrogate)`);
      }
    }
    if (prev !== undefined) {
      const order = compareStrings(prev[0], name);
      if (order === 0) {
        throw new InvalidLabelsError(`series ${safeFormat(labels)} has the label name ${name} twice`);
      }
      if (order > 0) {
        throw new InvalidLabelsError(
          `series ${safeFormat(labels)} has labels out of order (${prev[0]} before ${name}); sort them with sortLabels`,
        );
      }
    }
    prev = label;
  }
}

function safeFormat(labels: Labels): string {
  try {
    return formatLabels(labels);
  } catch {
    return '<unprintable labels>';
  }
}
