/**
 * Label pairs (name, value) as symbol positions → dense ids with a count of series each. Most
 * values belong to one label name (a pod's name, a node's address), so the first pair of each
 * value is found through a table indexed by the value's position, without hashing; the other
 * pairs of a value (`"true"` under several names) go to an open-addressing table on typed
 * arrays. A million pairs cost some 30 bytes each, not a Map entry and two boxed numbers.
 */
import { GrowableUint32Array } from './growable-arrays.ts';

const EMPTY = 0xffff_ffff;

export class PairTable {
  readonly names = new GrowableUint32Array();
  readonly values = new GrowableUint32Array();
  readonly counts = new GrowableUint32Array();
  /** Value position → the id of the first pair with that value; EMPTY when none yet. */
  private readonly firstOfValue: Uint32Array;
  /** Only pairs that are not the first of their value. */
  private slots = new Uint32Array(1024).fill(EMPTY);
  private mask = 1023;
  private inSlots = 0;

  /** `symbols`: how many positions there are (every name and value is below it). */
  constructor(symbols: number) {
    this.firstOfValue = new Uint32Array(symbols).fill(EMPTY);
  }

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
    const first = this.firstOfValue[value];
    if (first === undefined) throw new RangeError(`symbol position ${value} is outside the table`);
    if (first === EMPTY) {
      const id = this.append(name, value);
      this.firstOfValue[value] = id;
      return id;
    }
    if (this.names.get(first) === name) return first;
    const names = this.names;
    const values = this.values;
    for (let i = hash(name, value) & this.mask; ; i = (i + 1) & this.mask) {
      const id = this.slots[i]!;
      if (id === EMPTY) {
        const next = this.append(name, value);
        this.slots[i] = next;
        if (++this.inSlots * 2 > this.mask) this.grow();
        return next;
      }
      if (names.get(id) === name && values.get(id) === value) return id;
    }
  }

  private append(name: number, value: number): number {
    const id = this.names.length;
    this.names.push(name);
    this.values.push(value);
    this.counts.push(0);
    return id;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const slots = new Uint32Array(cap).fill(EMPTY);
    const mask = cap - 1;
    for (let j = 0; j < this.slots.length; j++) {
      const id = this.slots[j]!;
      if (id === EMPTY) continue;
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
