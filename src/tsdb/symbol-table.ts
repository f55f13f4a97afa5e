/**
 * The index's symbol table built within bounded memory. Strings are collected in a set that is
 * written out as a sorted run whenever it grows past a budget (a million series with a unique
 * pod name each would otherwise keep a million strings alive); the runs are merged into one
 * sorted, de-duplicated file whose bytes are exactly the table's body. Each string gets an id
 * when it is added, and the series are recorded with ids; once the table is sorted, one array
 * turns an id into its position, so the series need not be hashed a second time. A sparse
 * reader gives position → bytes.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { compareStrings } from '../labels.ts';
import { ioError } from './buffered-file.ts';
import { ByteWriter, uvarintSize } from './encoding.ts';
import { BlockWriteError } from './errors.ts';
import { compareBytes } from './series-records.ts';
import { mergeBufferBytes, mergeSorted, SpillReader, SpillWriter } from './spill-file.ts';

export interface SortedSymbols {
  /** A spill file of the symbols in Go's byte order, each once: `uvarint len | utf-8` records. */
  path: string;
  count: number;
  /** Size of that file, which is the size of the table's strings in the index. */
  bytes: number;
  /** Id (from `SymbolCollector.add`) → position in the table. */
  positionOf: Uint32Array;
}

export class SymbolCollector {
  private set = new StringSet();
  private chars = 0;
  private readonly runs: string[] = [];
  /** Per run: the ids of its strings in the run's (sorted) order. */
  private readonly runIds: Uint32Array[] = [];
  /** Ids handed out for strings of earlier runs; the set's own ids start here. */
  private base = 0;

  /** `maxInMemory`: distinct strings held before a sorted run is written out. */
  constructor(private readonly maxInMemory: number) {}

  /**
   * The string's id. A string added again gets the same id while it stays in memory, and a new
   * one after a spill; both ids then lead to the same position.
   */
  add(s: string): number {
    const size = this.set.size;
    const id = this.set.add(s);
    if (id === size) this.chars += s.length;
    return this.base + id;
  }

  /** True when the set should be spilled before more strings are added. */
  get full(): boolean {
    // Long strings count for more: a budget of strings is also a budget of about 64 chars each.
    return this.set.size >= this.maxInMemory || this.chars >= this.maxInMemory * 64;
  }

  async spill(dir: string): Promise<void> {
    if (this.set.size === 0) return;
    const path = join(dir, `symbols-run-${this.runs.length}`);
    const size = this.set.size;
    const { ids } = await writeSorted(this.set, path, this.base);
    this.runs.push(path);
    this.runIds.push(ids);
    this.base += size;
    this.set = new StringSet();
    this.chars = 0;
  }

  /** Merges everything collected into `path`. */
  async finish(dir: string, path: string): Promise<SortedSymbols> {
    const positionOf = new Uint32Array(this.base + this.set.size);
    if (this.runs.length === 0) {
      const { count, bytes, ids } = await writeSorted(this.set, path, 0);
      this.set = new StringSet();
      for (let i = 0; i < ids.length; i++) positionOf[ids[i]!] = i;
      return { path, count, bytes, positionOf };
    }
    await this.spill(dir);
    const readers: SpillReader[] = [];
    const out = await SpillWriter.create(path);
    let count = 0;
    let bytes = 0;
    const taken = new Uint32Array(this.runs.length);
    try {
      for (const run of this.runs) readers.push(await SpillReader.open(run, mergeBufferBytes(this.runs.length)));
      let prev: Buffer | undefined;
      const last = new ByteWriter(256);
      await mergeSorted(
        readers,
        (a, b) => compareBytes(a, 0, a.length, b, 0, b.length),
        (s, run) => {
          const id = this.runIds[run]![taken[run]!++]!;
          if (prev !== undefined && prev.equals(s)) {
            positionOf[id] = count - 1;
            return undefined;
          }
          positionOf[id] = count;
          const appended = out.tryAppend(s);
          count++;
          bytes += uvarintSize(s.length) + s.length;
          // `s` is a view into a reader's buffer; keep a copy to compare the next one with.
          last.reset();
          last.putBytes(s);
          prev = last.view();
          // Awaited only when the write buffer is full; `s` stays valid until then.
          return appended ? undefined : out.append(s);
        },
      );
      await out.close();
    } catch (err) {
      await out.discard();
      throw err;
    } finally {
      for (const r of readers) await r.close();
    }
    return { path, count, bytes, positionOf };
  }
}

/**
 * A set of strings on an open-addressing table of typed arrays, keeping the strings in an array
 * in insertion order. The hash is computed here over the UTF-16 code units; a `Set<string>`
 * had V8 hash every new string in its runtime and grow a hash table of objects, which for a
 * quarter million unique pod names cost about twice as much (measured).
 */
class StringSet {
  private slots = new Int32Array(1024).fill(-1);
  private hashes = new Int32Array(1024);
  private items: string[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The id of `s` (its place in insertion order), added if it was not in the set yet. */
  add(s: string): number {
    const h = hashString(s);
    const i = this.slotOf(s, h);
    const id = this.slots[i]!;
    if (id >= 0) return id;
    const added = this.items.length;
    this.slots[i] = added;
    this.hashes[i] = h;
    this.items.push(s);
    if (this.items.length * 2 > this.slots.length) this.grow();
    return added;
  }

  /** The slot holding `s` (hash `h`), or the empty slot where it would go. */
  private slotOf(s: string, h: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = slots[i]!;
      if (id < 0 || (this.hashes[i] === h && this.items[id] === s)) return i;
    }
  }

  /** The strings in insertion order (the set's own array: not to be changed). */
  strings(): readonly string[] {
    return this.items;
  }

  /** Empties the set, so its strings can be collected. */
  clear(): void {
    this.items = [];
    this.slots = new Int32Array(1024).fill(-1);
    this.hashes = new Int32Array(1024);
  }

  private grow(): void {
    const oldSlots = this.slots;
    const oldHashes = this.hashes;
    const cap = oldSlots.length * 2;
    const mask = cap - 1;
    const slots = new Int32Array(cap).fill(-1);
    const hashes = new Int32Array(cap);
    for (let j = 0; j < oldSlots.length; j++) {
      const id = oldSlots[j]!;
      if (id < 0) continue;
      const h = oldHashes[j]!;
      let i = h & mask;
      while (slots[i]! >= 0) i = (i + 1) & mask;
      slots[i] = id;
      hashes[i] = h;
    }
    this.slots = slots;
    this.hashes = hashes;
  }
}

function hashString(s: string): number {
  let h = 0x811c9dc5 ^ s.length;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h ^ (h >>> 15);
}

/** Anything from the first UTF-16 surrogate up: where JS string order and Go's byte order part. */
const ORDER_MAY_DIFFER = /[\ud800-\uffff]/;

/** Writes the set's strings sorted to `path`; `ids` gives each one's id (`base` + its id in the set), in that order. */
async function writeSorted(
  set: StringSet,
  path: string,
  base: number,
): Promise<{ count: number; bytes: number; ids: Uint32Array }> {
  const items = set.strings();
  // The ids are sorted by their strings, not the strings themselves: no second hash lookup per
  // string to find its id afterwards (that cost half as much again as the sort, measured).
  // JavaScript's `<` orders by UTF-16 code units, which is Go's order unless a string holds a
  // surrogate or a character above it. The strings are distinct, so only an id meets itself.
  const order = new Uint32Array(items.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  if (items.some((s) => ORDER_MAY_DIFFER.test(s))) order.sort((a, b) => compareStrings(items[a]!, items[b]!));
  else order.sort((a, b) => (items[a]! < items[b]! ? -1 : a === b ? 0 : 1));
  set.clear();
  const out = await SpillWriter.create(path);
  const w = new ByteWriter(1 << 16);
  let bytes = 0;
  try {
    for (let i = 0; i < order.length; i++) {
      w.putUvarintString(items[order[i]!]!);
      if (w.length >= 1 << 16) {
        bytes += w.length;
        await out.appendEncoded(w.view(), 0);
        w.reset();
      }
    }
    bytes += w.length;
    await out.appendEncoded(w.view(), 0);
    await out.close();
  } catch (err) {
    await out.discard();
    throw err;
  }
  if (base > 0) for (let i = 0; i < order.length; i++) order[i] = base + order[i]!;
  return { count: order.length, bytes, ids: order };
}

const SAMPLE_EVERY = 32;
const WINDOW_BYTES = 64 * 1024;

/**
 * Position → symbol bytes over the sorted symbols file, keeping only every 32nd offset in
 * memory. Reads are synchronous: they come in long runs of ascending positions from one window
 * of the file (which the page cache holds), and a promise per symbol would cost more.
 */
export class SymbolReader {
  private readonly offsets: Float64Array;
  private added = 0;
  private fd = -1;
  private win = Buffer.alloc(0);
  private winAt = 0;
  // The last symbol read, to continue from it when positions ascend.
  private curPos = -1;
  private curOff = 0;
  private curEnd = 0;

  constructor(
    private readonly path: string,
    count: number,
  ) {
    this.offsets = new Float64Array(Math.ceil(count / SAMPLE_EVERY) + 1);
  }

  /** Called for every symbol in order while the file is first read. */
  note(position: number, offset: number): void {
    if (position % SAMPLE_EVERY === 0) this.offsets[this.added++] = offset;
  }

  get(position: number): Buffer {
    let pos: number;
    let off: number;
    if (this.curPos >= 0 && position >= this.curPos && position - this.curPos < SAMPLE_EVERY) {
      if (position === this.curPos) return this.bytesAt(this.curOff);
      pos = this.curPos + 1;
      off = this.curEnd;
    } else {
      pos = position - (position % SAMPLE_EVERY);
      off = this.offsets[pos / SAMPLE_EVERY]!;
    }
    for (;;) {
      const s = this.bytesAt(off);
      const end = off + uvarintSize(s.length) + s.length;
      if (pos === position) {
        this.curPos = pos;
        this.curOff = off;
        this.curEnd = end;
        return s;
      }
      pos++;
      off = end;
    }
  }

  /** The string whose length prefix starts at `offset`. */
  private bytesAt(offset: number): Buffer {
    let s = this.tryDecode(offset);
    if (s === undefined) {
      this.load(offset, WINDOW_BYTES);
      s = this.tryDecode(offset);
    }
    if (s === undefined) {
      const len = this.win.length > 0 ? this.peekLength(offset) : WINDOW_BYTES;
      this.load(offset, len + 16);
      s = this.tryDecode(offset);
    }
    if (s === undefined)
      throw new BlockWriteError(this.path, `symbols scratch file ${this.path} is truncated at ${offset}`);
    return s;
  }

  private peekLength(offset: number): number {
    let len = 0;
    let scale = 1;
    for (let i = offset - this.winAt; i < this.win.length; i++) {
      const b = this.win[i]!;
      len += (b & 0x7f) * scale;
      if (b < 0x80) return len;
      scale *= 0x80;
    }
    return WINDOW_BYTES;
  }

  private tryDecode(offset: number): Buffer | undefined {
    let i = offset - this.winAt;
    if (i < 0 || i >= this.win.length) return undefined;
    let len = 0;
    let scale = 1;
    for (;;) {
      if (i >= this.win.length) return undefined;
      const b = this.win[i++]!;
      len += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
    }
    if (i + len > this.win.length) return undefined;
    return this.win.subarray(i, i + len);
  }

  private load(offset: number, bytes: number): void {
    try {
      if (this.fd < 0) this.fd = openSync(this.path, 'r');
      const buf = Buffer.allocUnsafe(Math.max(bytes, WINDOW_BYTES));
      const n = readSync(this.fd, buf, 0, buf.length, offset);
      this.win = buf.subarray(0, n);
      this.winAt = offset;
    } catch (err) {
      throw ioError(this.path, 'read', err);
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
