/**
 * Parses an index file (format v2) held in memory. Every length, offset and count is bounds
 * checked and every section's CRC32C verified before its contents are used; defects become
 * `CorruptBlockError`s naming the file and the section.
 */
import { ByteReader, crc32cOf } from './encoding.ts';
import { CorruptBlockError } from './errors.ts';
import {
  INDEX_FORMAT_V2,
  INDEX_HEADER_BYTES,
  INDEX_MAGIC,
  INDEX_TOC_BYTES,
  type ChunkMeta,
  type IndexToc,
} from './index-writer.ts';

export interface IndexSeriesEntry {
  /** offset / 16 */
  ref: number;
  /** Symbol positions, name and value alternating. */
  labelRefs: number[];
  chunks: ChunkMeta[];
}

export interface PostingsTableEntry {
  name: string;
  value: string;
  offset: number;
}

export interface LabelIndexTableEntry {
  name: string;
  offset: number;
}

export class IndexReader {
  readonly toc: IndexToc;
  readonly symbols: string[];
  /** Where the series section ends: the start of the next section. */
  readonly seriesEnd: number;
  /** Where the symbol table's CRC ends. */
  readonly symbolsEnd: number;

  constructor(
    readonly bytes: Uint8Array,
    /** Shown in errors, e.g. `<ulid>/index`. */
    readonly file: string,
  ) {
    const r = this.reader(0, bytes.length);
    if (bytes.length < INDEX_HEADER_BYTES + INDEX_TOC_BYTES) {
      throw this.error(`only ${bytes.length} bytes, too short for an index (truncated file?)`);
    }
    const magic = r.be32();
    if (magic !== INDEX_MAGIC)
      throw this.error(`bad magic 0x${magic.toString(16)}, expected 0x${INDEX_MAGIC.toString(16)}`);
    const version = r.byte();
    if (version !== INDEX_FORMAT_V2)
      throw this.error(`unsupported index format version ${version}, expected ${INDEX_FORMAT_V2}`);
    this.toc = this.readToc();
    this.symbols = this.readSymbols();
    this.symbolsEnd = this.toc.symbols + 4 + this.sectionLength(this.toc.symbols, 'symbol table') + 4;
    const next = [this.toc.labelIndices, this.toc.postings, this.toc.labelIndicesTable, this.toc.postingsTable].filter(
      (o) => o > this.toc.series,
    );
    this.seriesEnd = Math.min(...next, bytes.length - INDEX_TOC_BYTES);
  }

  error(message: string): CorruptBlockError {
    return new CorruptBlockError(this.file, message);
  }

  private reader(start: number, end: number, what = ''): ByteReader {
    return new ByteReader(this.bytes, (m) => this.error(what ? `${what}: ${m}` : m), start, end);
  }

  private readToc(): IndexToc {
    const at = this.bytes.length - INDEX_TOC_BYTES;
    const r = this.reader(at, this.bytes.length, 'TOC');
    const want = crc32cOf(this.bytes.subarray(at, at + 48));
    const offsets = [r.be64(), r.be64(), r.be64(), r.be64(), r.be64(), r.be64()];
    const crc = r.be32();
    if (crc !== want) throw this.error(`TOC CRC32C mismatch (stored ${hex(crc)}, computed ${hex(want)})`);
    const [symbols, series, labelIndices, labelIndicesTable, postings, postingsTable] = offsets as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    for (const [name, off] of Object.entries({
      symbols,
      series,
      labelIndices,
      labelIndicesTable,
      postings,
      postingsTable,
    })) {
      if (off !== 0 && (off < INDEX_HEADER_BYTES || off > at))
        throw this.error(`TOC offset of ${name} (${off}) lies outside the file`);
    }
    if (symbols === 0 || series === 0 || postings === 0 || postingsTable === 0) {
      throw this.error('TOC lacks the symbols, series, postings or postings offset table section');
    }
    if (!(symbols < series && series <= postings && postings < postingsTable)) {
      throw this.error('TOC sections are not in the order symbols < series < postings < postings offset table');
    }
    return { symbols, series, labelIndices, labelIndicesTable, postings, postingsTable };
  }

  /** The 4-byte `len` of the section at `off`, checked to fit in the file with its CRC. */
  private sectionLength(off: number, what: string): number {
    const r = this.reader(off, this.bytes.length - INDEX_TOC_BYTES, what);
    const len = r.be32(`the ${what} length`);
    if (off + 4 + len + 4 > this.bytes.length - INDEX_TOC_BYTES) {
      throw this.error(`${what} at ${off} claims ${len} bytes, past the TOC (truncated file?)`);
    }
    return len;
  }

  /** A `len | body | crc` section: checks the CRC, returns a reader over the body. */
  section(off: number, what: string): ByteReader {
    const len = this.sectionLength(off, what);
    const body = this.bytes.subarray(off + 4, off + 4 + len);
    const stored = this.reader(off + 4 + len, off + 8 + len, what).be32();
    const computed = crc32cOf(body);
    if (stored !== computed) {
      throw this.error(`${what} at ${off}: CRC32C mismatch (stored ${hex(stored)}, computed ${hex(computed)})`);
    }
    return this.reader(off + 4, off + 4 + len, what);
  }

  private readSymbols(): string[] {
    const r = this.section(this.toc.symbols, 'symbol table');
    const count = r.be32('the symbol count');
    // Each symbol takes at least one byte, so a count beyond the body is a lie, not an allocation.
    if (count > r.remaining) throw this.error(`symbol table claims ${count} symbols in ${r.remaining} bytes`);
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(r.uvarintString(`symbol ${i}`));
    if (r.remaining !== 0) throw this.error(`symbol table has ${r.remaining} bytes after its ${count} symbols`);
    return out;
  }

  symbol(ref: number, what: string): string {
    const s = this.symbols[ref];
    if (s === undefined) throw this.error(`${what} refers to symbol ${ref}, but there are only ${this.symbols.length}`);
    return s;
  }

  /** Series entries in file (= index) order, each CRC checked. */
  *series(): Generator<IndexSeriesEntry> {
    let pos = this.toc.series;
    const end = this.seriesEnd;
    for (;;) {
      const aligned = Math.ceil(pos / 16) * 16;
      if (aligned >= end) break;
      for (let p = pos; p < aligned; p++) {
        if (this.bytes[p] !== 0) throw this.error(`non-zero padding byte at ${p} in the series section`);
      }
      const what = `series at ${aligned}`;
      const r = this.reader(aligned, end, what);
      const len = r.uvarint('the series length');
      const bodyStart = r.pos;
      if (len > r.remaining - 4 || len === 0)
        throw this.error(`${what}: length ${len} does not fit the series section`);
      const body = this.bytes.subarray(bodyStart, bodyStart + len);
      r.skip(len);
      const stored = r.be32('the series CRC');
      const computed = crc32cOf(body);
      if (stored !== computed)
        throw this.error(`${what}: CRC32C mismatch (stored ${hex(stored)}, computed ${hex(computed)})`);
      yield this.decodeSeries(aligned / 16, bodyStart, bodyStart + len);
      pos = r.pos;
    }
  }

  /** The series with reference `ref` (offset / 16), as Prometheus looks it up from postings. */
  seriesAt(ref: number): IndexSeriesEntry {
    const off = ref * 16;
    const what = `series ref ${ref}`;
    if (off < this.toc.series || off >= this.seriesEnd) throw this.error(`${what} points outside the series section`);
    const r = this.reader(off, this.seriesEnd, what);
    const len = r.uvarint('the series length');
    const bodyStart = r.pos;
    if (len > r.remaining - 4) throw this.error(`${what}: length ${len} does not fit the series section`);
    r.skip(len);
    const stored = r.be32('the series CRC');
    if (stored !== crc32cOf(this.bytes.subarray(bodyStart, bodyStart + len)))
      throw this.error(`${what}: CRC32C mismatch`);
    return this.decodeSeries(ref, bodyStart, bodyStart + len);
  }

  private decodeSeries(ref: number, start: number, end: number): IndexSeriesEntry {
    const what = `series ref ${ref}`;
    const r = this.reader(start, end, what);
    const numLabels = r.uvarint('the label count');
    if (numLabels * 2 > r.remaining)
      throw this.error(`${what}: ${numLabels} labels cannot fit in ${r.remaining} bytes`);
    const labelRefs: number[] = [];
    for (let i = 0; i < numLabels * 2; i++) {
      const sym = r.uvarint('a label symbol reference');
      if (sym >= this.symbols.length)
        throw this.error(`${what}: label refers to symbol ${sym}, but there are only ${this.symbols.length}`);
      labelRefs.push(sym);
    }
    const numChunks = r.uvarint('the chunk count');
    if (numChunks * 3 > r.remaining)
      throw this.error(`${what}: ${numChunks} chunks cannot fit in ${r.remaining} bytes`);
    const chunks: ChunkMeta[] = [];
    let prevMaxT = 0;
    let prevRef = 0;
    for (let i = 0; i < numChunks; i++) {
      let minTime: number;
      let chunkRef: number;
      if (i === 0) {
        minTime = r.varint('a chunk min time');
        const maxTime = minTime + r.uvarint('a chunk duration');
        chunkRef = r.uvarint('a chunk reference');
        chunks.push(checkedMeta(this, what, minTime, maxTime, chunkRef));
        prevMaxT = maxTime;
      } else {
        minTime = prevMaxT + r.uvarint('a chunk min time delta');
        const maxTime = minTime + r.uvarint('a chunk duration');
        chunkRef = prevRef + r.varint('a chunk reference delta');
        chunks.push(checkedMeta(this, what, minTime, maxTime, chunkRef));
        prevMaxT = maxTime;
      }
      prevRef = chunkRef;
    }
    if (r.remaining !== 0) throw this.error(`${what}: ${r.remaining} unexpected bytes after the chunk metas`);
    return { ref, labelRefs, chunks };
  }

  postingsTable(): PostingsTableEntry[] {
    const r = this.section(this.toc.postingsTable, 'postings offset table');
    const count = r.be32('the entry count');
    if (count > r.remaining) throw this.error(`postings offset table claims ${count} entries in ${r.remaining} bytes`);
    const out: PostingsTableEntry[] = [];
    for (let i = 0; i < count; i++) {
      const keys = r.uvarint('a key count');
      if (keys !== 2) throw this.error(`postings offset table entry ${i} has ${keys} keys, expected 2`);
      const name = r.uvarintString('a label name');
      const value = r.uvarintString('a label value');
      out.push({ name, value, offset: r.uvarint('a postings offset') });
    }
    if (r.remaining !== 0) throw this.error(`postings offset table has ${r.remaining} bytes after its entries`);
    return out;
  }

  /** The series refs of the postings list at `offset`. */
  postings(offset: number, what: string): Uint32Array {
    if (offset < this.toc.postings || offset >= this.toc.postingsTable) {
      throw this.error(`${what}: postings offset ${offset} lies outside the postings section`);
    }
    const r = this.section(offset, what);
    const count = r.be32('the postings count');
    if (count * 4 !== r.remaining) throw this.error(`${what}: claims ${count} entries in ${r.remaining} bytes`);
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = r.be32();
    return out;
  }

  labelIndicesTable(): LabelIndexTableEntry[] {
    if (this.toc.labelIndicesTable === 0) return [];
    const r = this.section(this.toc.labelIndicesTable, 'label indices offset table');
    const count = r.be32('the entry count');
    if (count > r.remaining)
      throw this.error(`label indices offset table claims ${count} entries in ${r.remaining} bytes`);
    const out: LabelIndexTableEntry[] = [];
    for (let i = 0; i < count; i++) {
      const keys = r.uvarint('a key count');
      if (keys !== 1) throw this.error(`label indices offset table entry ${i} has ${keys} keys, expected 1`);
      out.push({ name: r.uvarintString('a label name'), offset: r.uvarint('a label index offset') });
    }
    if (r.remaining !== 0) throw this.error(`label indices offset table has ${r.remaining} bytes after its entries`);
    return out;
  }

  /** Symbol refs of the values in the label index at `offset`. */
  labelIndex(offset: number, what: string): number[] {
    const r = this.section(offset, what);
    const names = r.be32('the name count');
    const entries = r.be32('the entry count');
    if (names !== 1) throw this.error(`${what}: indexes ${names} names, expected 1`);
    if (entries * 4 !== r.remaining) throw this.error(`${what}: claims ${entries} entries in ${r.remaining} bytes`);
    const out: number[] = [];
    for (let i = 0; i < entries; i++) out.push(r.be32());
    return out;
  }
}

function checkedMeta(ix: IndexReader, what: string, minTime: number, maxTime: number, ref: number): ChunkMeta {
  if (!Number.isSafeInteger(minTime) || !Number.isSafeInteger(maxTime) || !Number.isSafeInteger(ref) || ref < 0) {
    throw ix.error(`${what}: chunk meta out of range (min ${minTime}, max ${maxTime}, ref ${ref})`);
  }
  return { minTime, maxTime, ref };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
