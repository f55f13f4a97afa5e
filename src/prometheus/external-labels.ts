import { sortLabels, type Label, type Labels } from '../labels.ts';

/**
 * The series' own labels: remote read merges Prometheus' external labels into every series, but a
 * series that stores a label of the same name keeps its own value. So a label is dropped only
 * where name and value both equal an external label; a different value is the series' own.
 */
export function stripExternalLabels(labels: Labels, external: Labels): Labels {
  if (external.length === 0) return labels;
  const out: Label[] = [];
  // Every series of a window passes here: plain loops, no closure per label.
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    let isExternal = false;
    for (let j = 0; j < external.length; j++) {
      const e = external[j]!;
      if (e[0] === label[0]) {
        isExternal = e[1] === label[1];
        break;
      }
    }
    if (!isExternal) out.push(label);
  }
  return out;
}

/**
 * `stripExternalLabels` for a window in which two series became one: a series that stores a label
 * equal to an external label, and its twin without it, both arrive with the external label
 * merged in. The first of such a set is stripped as usual; each later one keeps the fewest of
 * its external labels that make it distinct. Seen through Thanos, which adds the external labels
 * back, every one of them is the same series as before, so nothing is lost or changed; only which
 * twin carries the label explicitly may differ from the source. Keeps every label set of the
 * window in memory, so it is used only for a window that needs it.
 */
export class DistinctStripper {
  /** Series that kept an external label to stay apart from a twin. */
  kept = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly external: Labels) {}

  strip(labels: Labels): Labels {
    const own = stripExternalLabels(labels, this.external);
    const dropped = labels.filter((l) => !own.includes(l));
    for (const keep of subsetsSmallestFirst(dropped)) {
      const candidate = keep.length === 0 ? own : sortLabels([...own, ...keep]);
      const key = candidate.map(([n, v]) => `${n}\xff${v}`).join('\xfe');
      if (!this.seen.has(key)) {
        this.seen.add(key);
        if (keep.length > 0) this.kept++;
        return candidate;
      }
    }
    // More twins than subsets cannot come from one Prometheus; the block writer reports it.
    return labels;
  }
}

/** Every subset of `items`, smallest first, made only as far as the caller reads. */
function* subsetsSmallestFirst<T>(items: readonly T[]): Generator<T[]> {
  for (let size = 0; size <= items.length; size++) yield* combinations(items, size, 0);
}

function* combinations<T>(items: readonly T[], size: number, from: number): Generator<T[]> {
  if (size === 0) {
    yield [];
    return;
  }
  for (let i = from; i <= items.length - size; i++) {
    for (const rest of combinations(items, size - 1, i + 1)) yield [items[i]!, ...rest];
  }
}
