/**
 * Label pairs (name, value) as symbol positions → dense ids with a count of series each, in an
 * open-addressing table on typed arrays: a million pairs cost some 30 bytes each, not a Map
 * entry and two boxed numbers.
 */
import { GrowableUint32Array } from './growable-arrays.ts';

const EMPTY = 0xffff_ffff;

export class PairTable {
  readonly names = new GrowableUint32Array();
  readonly values = new GrowableUint32Array();
  readonly counts = new GrowableUint32Array();
  private slots = new Uint32Array(1024).fill(EMPTY);
  private mask = 1023;

  get size(): number {
    return this.names.length;
  }

  /** The id of the pair, added if new, and counts one more series for it. */
  count(name: number, value: number): number {
    const id = this.findOrAdd(name, value);
    this.counts.increment(id);
    return id;
  }

  /** Counts one more series for the pair with this id (as `count` returned it); returns the id. */
  countAgain(id: number): number {
    this.counts.increment(id);
    return id;
  }

  /** The id of the pair, a new one when it is not in the table yet. */
  private findOrAdd(name: number, value: number): number {
    const names = this.names;
    const values = this.values;
    for (let i = hash(name, value) & this.mask; ; i = (i + 1) & this.mask) {
      const id = this.slots[i]!;
      if (id === EMPTY) {
        const next = names.length;
        names.push(name);
        values.push(value);
        this.counts.push(0);
        this.slots[i] = next;
        if (next * 2 > this.mask) this.grow();
        return next;
      }
      if (names.get(id) === name && values.get(id) === value) return id;
    }
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const slots = new Uint32Array(cap).fill(EMPTY);
    const mask = cap - 1;
    for (let id = 0; id < this.names.length; id++) {
      let i = hash(this.names.get(id), this.values.get(id)) & mask;
      while (slots[i] !== EMPTY) i = (i + 1) & mask;
      slots[i] = id;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function hash(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 16;
  return Math.imul(h, 0x7feb352d) >>> 0;
}
