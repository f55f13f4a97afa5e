/**
 * Label sets as Prometheus orders them. Go compares strings byte by byte in UTF-8, which equals
 * code point order; JavaScript's `<` compares UTF-16 code units, which differs for characters
 * above U+FFFF versus U+E000–U+FFFF. Index symbols and series must follow Go's order, so every
 * comparison in the block format goes through `compareStrings`.
 */
export type Label = readonly [name: string, value: string];
/** Sorted by name, names unique. */
export type Labels = readonly Label[];

export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    // A surrogate encodes a code point above U+FFFF, which sorts after every BMP character.
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}

/** Prometheus' labels.Compare: pairwise by name then value, a shorter prefix first. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const la = a[i]!;
    const lb = b[i]!;
    const byName = compareStrings(la[0], lb[0]);
    if (byName !== 0) return byName;
    const byValue = compareStrings(la[1], lb[1]);
    if (byValue !== 0) return byValue;
  }
  return a.length - b.length;
}

export function sortLabels(labels: Iterable<Label>): Label[] {
  return [...labels].sort((x, y) => compareStrings(x[0], y[0]));
}

/** `{a="1", b="2"}` with Prometheus' escaping, for log lines and errors. */
export function formatLabels(labels: Labels): string {
  return `{${labels.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(', ')}}`;
}
