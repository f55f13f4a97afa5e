import type { Label, Labels } from '../labels.ts';

/**
 * The series' own labels: remote read merges Prometheus' external labels into every series, but a
 * series that stores a label of the same name keeps its own value. So a label is dropped only
 * where name and value both equal an external label; a different value is the series' own.
 */
export function stripExternalLabels(labels: Labels, external: Labels): Labels {
  if (external.length === 0) return labels;
  const out: Label[] = [];
  for (const label of labels) {
    const ext = external.find((e) => e[0] === label[0]);
    if (ext === undefined || ext[1] !== label[1]) out.push(label);
  }
  return out;
}
