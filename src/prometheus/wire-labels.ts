import { compareStrings, type Label, type Labels } from '../labels.ts';
import { ReadFault } from './errors.ts';
import type { WireLabel } from './read-request.ts';

/**
 * Labels as sent by Prometheus, as sorted tuples. Prometheus sends them sorted already, so the
 * common case is one pass of comparisons; a duplicate name is corrupt input, not something to
 * guess about.
 */
export function labelsFromWire(wire: readonly WireLabel[]): Labels {
  const out: Label[] = new Array<Label>(wire.length);
  for (let i = 0; i < wire.length; i++) {
    const l = wire[i]!;
    out[i] = [l.name, l.value];
  }
  return sortedLabels(out);
}

/** `pairs` sorted by name (in place when out of order); a name given twice is corrupt input. */
export function sortedLabels(pairs: Label[]): Labels {
  let sorted = true;
  for (let i = 1; i < pairs.length; i++) {
    if (compareStrings(pairs[i - 1]![0], pairs[i]![0]) >= 0) {
      sorted = false;
      break;
    }
  }
  if (sorted) return pairs;
  pairs.sort((a, b) => compareStrings(a[0], b[0]));
  for (let i = 1; i < pairs.length; i++) {
    if (pairs[i - 1]![0] === pairs[i]![0]) {
      throw new ReadFault('PROMSHIP_REMOTE_READ_DECODE', `a series carries the label name "${pairs[i]![0]}" twice`);
    }
  }
  return pairs;
}

export function sameLabels(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1]) return false;
  }
  return true;
}
