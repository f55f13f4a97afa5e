/**
 * The index's symbol table built within bounded memory. Strings are collected in a set that is
 * written out as a sorted run whenever it grows past a budget (a million series with a unique
 * pod name each would otherwise keep a million strings alive); the runs are merged into one
 * sorted, de-duplicated file whose bytes are exactly the table's body. From that file come a
 * compact hash table (UTF-8 bytes → position) and a sparse reader (position → bytes).
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
}

export class SymbolCollector {
  private set = new StringSet();
  private chars = 0;
  private readonly runs: string[] = [];

  /** `maxInMemory`: distinct strings held before a sorted run is written out. */
  constructor(private readonly maxInMemory: number) {}

  add(s: string): void {
    if (this.set.add(s)) this.chars += s.length;
  }

  /** True when the set should be spilled before more strings are added. */
  get full(): boolean {
    // Long strings count for more: a budget of strings is also a budget of about 64 chars each.
    return this.set.size >= this.maxInMemory || this.chars >= this.maxInMemory * 64;
  }

  async spill(dir: string): Promise<void> {
    if (this.set.size === 0) return;
    const path = join(dir, `symbols-run-${this.runs.length}`);
    await writeSorted(this.set, path);
    this.runs.push(path);
    this.set = new StringSet();
    this.chars = 0;
  }

  /** Merges everything collected into `path`. */
  async finish(dir: string, path: string): Promise<SortedSymbols> {
    if (this.runs.length === 0) {
      const { count, bytes } = await writeSorted(this.set, path);
      this.set = new StringSet();
      return { path, count, bytes };
    }
    await this.spill(dir);
    const readers: SpillReader[] = [];
    const out = await SpillWriter.create(path);
    let count = 0;
    let bytes = 0;
    try {
      for (const run of this.runs) readers.push(await SpillReader.open(run, mergeBufferBytes(this.runs.length)));
      let prev: Buffer | undefined;
      const last = new ByteWriter(256);
      await mergeSorted(
        readers,
        (a, b) => compareBytes(a, 0, a.length, b, 0, b.length),
        (s) => {
          if (prev !== undefined && prev.equals(s)) return undefined;
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
    return { path, count, bytes };
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

  /** True when `s` was not in the set yet. */
  add(s: string): boolean {
    let h = 0x811c9dc5 ^ s.length;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h ^= h >>> 15;
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const id = slots[i]!;
      if (id < 0) {
        slots[i] = this.items.length;
        this.hashes[i] = h;
        this.items.push(s);
        if (this.items.length * 2 > slots.length) this.grow();
        return true;
      }
      if (this.hashes[i] === h && this.items[id] === s) return false;
    }
  }

  /** The strings in insertion order; the set is left empty. */
  take(): string[] {
    const items = this.items;
    this.items = [];
    this.slots = new Int32Array(1024).fill(-1);
    this.hashes = new Int32Array(1024);
    return items;
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

/** Anything from the first UTF-16 surrogate up: where JS string order and Go's byte order part. */
const ORDER_MAY_DIFFER = /[\ud800-\uffff]/;

async function writeSorted(set: StringSet, path: string): Promise<{ count: number; bytes: number }> {
  const sorted = set.take();
  // The native sort orders by UTF-16 code units, which is Go's order unless a string holds a
  // surrogate or a character above it; checking for those is much cheaper than a JS comparator.
  if (sorted.some((s) => ORDER_MAY_DIFFER.test(s))) sorted.sort(compareStrings);
  else sorted.sort();
  const out = await SpillWriter.create(path);
  const w = new ByteWriter(1 << 16);
  let bytes = 0;
  try {
    for (const s of sorted) {
      w.putUvarintString(s);
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
  return { count: sorted.length, bytes };
}

/**
 * Two independent 32-bit hashes of a byte range in one pass (FNV-1a, returned, and a
 * murmur-style mix, left in `hashB`).
 */
let hashB = 0;
function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  let g = 0x9747b28c ^ (end - start);
  for (let i = start; i < end; i++) {
    const x = b[i]!;
    h = Math.imul(h ^ x, 0x01000193);
    g = Math.imul(g ^ x, 0x5bd1e995);
    g ^= g >>> 15;
  }
  hashB = g >>> 0;
  return h >>> 0;
}

const EMPTY = 0xffff_ffff;
const AMBIGUOUS = 0xffff_fffe;

/**
 * Symbol bytes → position, in about 24 bytes per symbol. Keys are a pair of 32-bit hashes, not
 * the strings; two different symbols with the same pair (vanishingly rare, but possible) are
 * marked ambiguous and looked up by their text instead, so a lookup is always exact for a symbol
 * that was added.
 */
export class SymbolPositions {
  private readonly mask: number;
  private readonly keyA: Uint32Array;
  private readonly keyB: Uint32Array;
  private readonly pos: Uint32Array;
  private readonly ambiguous = new Map<string, number>();
  private readonly ambiguousPending: number[] = [];

  constructor(count: number) {
    let cap = 16;
    while (cap < count * 2) cap *= 2;
    this.mask = cap - 1;
    this.keyA = new Uint32Array(cap);
    this.keyB = new Uint32Array(cap);
    this.pos = new Uint32Array(cap).fill(EMPTY);
  }

  add(b: Uint8Array, start: number, end: number, position: number): void {
    const a = hashBytes(b, start, end);
    const h = hashB;
    for (let i = a & this.mask; ; i = (i + 1) & this.mask) {
      const p = this.pos[i]!;
      if (p === EMPTY) {
        this.keyA[i] = a;
        this.keyB[i] = h;
        this.pos[i] = position;
        return;
      }
      if (this.keyA[i] === a && this.keyB[i] === h) {
        if (p !== AMBIGUOUS) this.ambiguousPending.push(p);
        this.pos[i] = AMBIGUOUS;
        this.ambiguous.set(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8'), position);
        return;
      }
    }
  }

  /** Resolves the text of symbols that turned out ambiguous after `add` moved past them. */
  resolveAmbiguous(reader: SymbolReader): void {
    for (const p of this.ambiguousPending) this.ambiguous.set(reader.get(p).toString('utf8'), p);
    this.ambiguousPending.length = 0;
  }

  /** The position of a symbol that was added; -1 for one that was not. */
  get(b: Uint8Array, start: number, end: number): number {
    const a = hashBytes(b, start, end);
    const h = hashB;
    for (let i = a & this.mask; ; i = (i + 1) & this.mask) {
      const p = this.pos[i]!;
      if (p === EMPTY) return -1;
      if (this.keyA[i] === a && this.keyB[i] === h) {
        if (p !== AMBIGUOUS) return p;
        return this.ambiguous.get(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8')) ?? -1;
      }
    }
  }
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
