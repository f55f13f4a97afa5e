/**
 * The edits of one series' labels while its rules run, with the semantics of Prometheus'
 * `labels.Builder`: the original labels stay as they are, edits are kept beside them, setting a
 * label to "" deletes it, and `range` walks a snapshot (originals first, then additions in the
 * order they were made), which decides the winner when two `labelmap` names map to one target.
 */
import { compareStrings, type Label, type Labels } from '../labels.ts';

export class LabelBuilder {
  #base: Labels = [];
  #add: [string, string][] = [];
  #del: string[] = [];

  reset(base: Labels): void {
    this.#base = base;
    // Emptied in place: a builder serves every series of a window, and two fresh arrays per
    // series were most of the rules' garbage.
    if (this.#add.length !== 0) this.#add.length = 0;
    if (this.#del.length !== 0) this.#del.length = 0;
  }

  get changed(): boolean {
    return this.#add.length > 0 || this.#del.length > 0;
  }

  get(name: string): string {
    for (const [n, v] of this.#add) if (n === name) return v;
    if (this.#del.includes(name)) return '';
    for (const [n, v] of this.#base) if (n === name) return v;
    return '';
  }

  set(name: string, value: string): void {
    if (value === '') {
      this.del(name);
      return;
    }
    const at = this.#del.indexOf(name);
    if (at >= 0) this.#del.splice(at, 1);
    for (const a of this.#add) {
      if (a[0] === name) {
        a[1] = value;
        return;
      }
    }
    this.#add.push([name, value]);
  }

  del(name: string): void {
    const at = this.#add.findIndex((a) => a[0] === name);
    if (at >= 0) this.#add.splice(at, 1);
    if (!this.#del.includes(name)) this.#del.push(name);
  }

  /** Calls `f` on every current label, from a snapshot taken now: `f` may set and delete freely. */
  range(f: (name: string, value: string) => void): void {
    const add = this.#add.map(([n, v]) => [n, v] as const);
    const del = [...this.#del];
    for (const [n, v] of this.#base) {
      if (!del.includes(n) && !add.some((a) => a[0] === n)) f(n, v);
    }
    for (const [n, v] of add) f(n, v);
  }

  /**
   * Deletes every current label whose name `test` matches (`matching` true) or does not match
   * (false): `labeldrop` and `labelkeep`. Walks the original labels in place while nothing has
   * been edited yet, which is the common case: no snapshot, no callback.
   */
  deleteNames(test: { matches(name: string): boolean }, matching: boolean): void {
    if (this.#add.length === 0 && this.#del.length === 0) {
      const base = this.#base;
      for (let i = 0; i < base.length; i++) {
        const name = base[i]![0];
        if (test.matches(name) === matching) this.#del.push(name);
      }
      return;
    }
    this.range((name) => {
      if (test.matches(name) === matching) this.del(name);
    });
  }

  /** The resulting label set, sorted by name; the input array itself when nothing changed. */
  labels(): Labels {
    if (!this.changed) return this.#base;
    const base = this.#base;
    const del = this.#del;
    // The originals are sorted and the additions few: merge them rather than sort the whole set,
    // which cost more than every rule of a window together when a rule added a label to each series.
    const add = this.#add.length > 1 ? [...this.#add].sort((a, b) => compareStrings(a[0], b[0])) : this.#add;
    const out: Label[] = [];
    let j = 0;
    for (let i = 0; i < base.length; i++) {
      const label = base[i]!;
      const name = label[0];
      while (j < add.length && compareStrings(add[j]![0], name) < 0) {
        out.push([add[j]![0], add[j]![1]]);
        j++;
      }
      // Replaced by an addition of the same name, which the loop above pushes next; or deleted.
      if (j < add.length && add[j]![0] === name) continue;
      if (del.length !== 0 && del.includes(name)) continue;
      out.push(label);
    }
    for (; j < add.length; j++) out.push([add[j]![0], add[j]![1]]);
    return out;
  }
}
