/**
 * Append-only typed arrays. Per-series bookkeeping for a million series must not become a
 * million small JS objects; these keep it in a few flat buffers.
 */
export class GrowableUint32Array {
  private data: Uint32Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Uint32Array(Math.max(16, initialCapacity));
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  set(i: number, v: number): void {
    this.data[i] = v;
  }

  increment(i: number): void {
    this.data[i] = this.data[i]! + 1;
  }

  /** A view of the used part; invalid after the next push. */
  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

export class GrowableFloat64Array {
  private data: Float64Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Float64Array(Math.max(16, initialCapacity));
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}
