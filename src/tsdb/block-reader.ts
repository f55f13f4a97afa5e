/**
 * Opens a block directory for reading its series back and for verifying it end to end before
 * it leaves the machine: format, every CRC, ordering, postings, chunk ranges, and that meta.json
 * tells the truth about the files. Hostile bytes give `CorruptBlockError`, never a crash or hang.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { compareStrings, type Label } from '../labels.ts';
import { ChunkEncoding, type Chunk } from '../series.ts';
import { ChunkSegmentReader } from './chunk-segment-reader.ts';
import { CorruptBlockError, InvalidBlockMetaError } from './errors.ts';
import { GrowableFloat64Array, GrowableUint32Array } from './growable-arrays.ts';
import { IndexReader } from './index-reader.ts';
import { CHUNKS_DIRNAME, INDEX_FILENAME, META_FILENAME, parseBlockMeta, type BlockMeta } from './meta.ts';
import { decodeXorChunk } from './xor-chunk.ts';

export interface BlockSeries {
  labels: Label[];
  chunks: Chunk[];
}

export interface BlockReport {
  ulid: string;
  numSeries: number;
  numChunks: number;
  numSamples: number;
  numSymbols: number;
  /** Postings lists, the all-series list included. */
  numPostings: number;
  numSegments: number;
  indexBytes: number;
  chunkBytes: number;
  /** Chunks present in segments that no series references (harmless, but wasted space). */
  unreferencedChunks: number;
}

export interface BlockReader {
  readonly dir: string;
  readonly meta: BlockMeta;
  /** Series in index order with their chunks read from the segments (CRC checked). */
  series(): AsyncGenerator<BlockSeries>;
  verify(): Promise<BlockReport>;
  close(): Promise<void>;
}

export async function openBlock(dir: string): Promise<BlockReader> {
  const name = basename(dir);
  let metaBytes: Uint8Array;
  let indexBytes: Uint8Array;
  try {
    metaBytes = await readFile(join(dir, META_FILENAME));
  } catch (err) {
    throw new CorruptBlockError(
      `${name}/${META_FILENAME}`,
      `cannot read (${(err as Error).message}); a block without meta.json is incomplete`,
      { cause: err },
    );
  }
  const meta = parseBlockMeta(metaBytes, `${name}/${META_FILENAME}`);
  try {
    indexBytes = await readFile(join(dir, INDEX_FILENAME));
  } catch (err) {
    throw new CorruptBlockError(`${name}/${INDEX_FILENAME}`, `cannot read (${(err as Error).message})`, { cause: err });
  }
  const index = new IndexReader(indexBytes, `${name}/${INDEX_FILENAME}`);
  const chunks = await ChunkSegmentReader.open(join(dir, CHUNKS_DIRNAME), `${name}/${CHUNKS_DIRNAME}`);
  return new DirBlockReader(dir, name, meta, metaBytes.length, index, chunks);
}

class DirBlockReader implements BlockReader {
  constructor(
    readonly dir: string,
    private readonly name: string,
    readonly meta: BlockMeta,
    private readonly metaBytes: number,
    private readonly index: IndexReader,
    private readonly chunks: ChunkSegmentReader,
  ) {}

  async *series(): AsyncGenerator<BlockSeries> {
    for (const entry of this.index.series()) {
      const labels: Label[] = [];
      for (let i = 0; i < entry.labelRefs.length; i += 2) {
        labels.push([this.index.symbols[entry.labelRefs[i]!]!, this.index.symbols[entry.labelRefs[i + 1]!]!]);
      }
      const chunks: Chunk[] = [];
      for (const m of entry.chunks) {
        const raw = await this.chunks.readChunk(m.ref);
        chunks.push({ minTime: m.minTime, maxTime: m.maxTime, encoding: raw.encoding, data: raw.data });
      }
      yield { labels, chunks };
    }
  }

  async close(): Promise<void> {
    await this.chunks.close();
  }

  async verify(): Promise<BlockReport> {
    const ix = this.index;
    const indexFile = ix.file;
    const fail = (m: string): CorruptBlockError => new CorruptBlockError(indexFile, m);
    const { meta } = this;
    if (meta.minTime >= meta.maxTime) {
      throw new InvalidBlockMetaError(
        `${this.name}/${META_FILENAME}: minTime ${meta.minTime} is not before maxTime ${meta.maxTime}`,
      );
    }

    // Thanos' index-header copies the bytes from the symbols start to the series start: only
    // the 16-byte alignment padding may sit between the symbol table and the first series.
    if (ix.toc.series < ix.symbolsEnd || ix.toc.series - ix.symbolsEnd >= 16) {
      throw fail(
        `the series section starts at ${ix.toc.series}, not right after the symbol table (ends at ${ix.symbolsEnd})`,
      );
    }
    for (let i = 1; i < ix.symbols.length; i++) {
      if (compareStrings(ix.symbols[i - 1]!, ix.symbols[i]!) >= 0) {
        throw fail(
          `symbols ${i - 1} and ${i} (${JSON.stringify(ix.symbols[i - 1])}, ${JSON.stringify(ix.symbols[i])}) are not sorted and unique`,
        );
      }
    }

    const chunkInfo = await this.scanChunks();

    // Series: sorted, unique, labels sorted, chunks in range and ordered, refs to real chunks.
    const seriesRefs = new GrowableFloat64Array();
    const labelStart = new GrowableFloat64Array();
    const labelPool = new GrowableUint32Array();
    labelStart.push(0);
    let prev: number[] | null = null;
    let numChunks = 0;
    let numSamples = 0;
    for (const s of ix.series()) {
      const what = `series ref ${s.ref} ${describe(ix.symbols, s.labelRefs)}`;
      if (s.labelRefs.length === 0) throw fail(`${what} has no labels`);
      for (let i = 2; i < s.labelRefs.length; i += 2) {
        if (s.labelRefs[i]! <= s.labelRefs[i - 2]!) throw fail(`${what} has label names out of order or repeated`);
      }
      if (prev !== null && compareRefs(prev, s.labelRefs) >= 0)
        throw fail(`${what} is not sorted after the previous series, or repeats it`);
      prev = s.labelRefs;
      if (s.chunks.length === 0) throw fail(`${what} has no chunks`);
      let prevMaxT = -Infinity;
      for (const [i, c] of s.chunks.entries()) {
        const cwhat = `${what} chunk ${i} [${c.minTime}, ${c.maxTime}]`;
        if (c.maxTime < c.minTime) throw fail(`${cwhat} ends before it starts`);
        if (c.minTime < meta.minTime || c.maxTime >= meta.maxTime) {
          throw fail(`${cwhat} lies outside the block range [${meta.minTime}, ${meta.maxTime})`);
        }
        if (c.minTime <= prevMaxT) throw fail(`${cwhat} overlaps or precedes the previous chunk`);
        prevMaxT = c.maxTime;
        const found = chunkInfo.find(c.ref);
        if (found < 0) throw fail(`${cwhat} references ${c.ref}, where no chunk starts`);
        chunkInfo.referenced[found] = 1;
        const first = chunkInfo.firstT.get(found);
        const last = chunkInfo.lastT.get(found);
        if (!Number.isNaN(first) && (first !== c.minTime || last !== c.maxTime)) {
          throw fail(`${cwhat} holds samples from ${first} to ${last}, not the range the index states`);
        }
        numSamples += chunkInfo.samples.get(found);
        numChunks++;
      }
      seriesRefs.push(s.ref);
      for (const r of s.labelRefs) labelPool.push(r);
      labelStart.push(labelPool.length);
    }
    const numSeries = seriesRefs.length;
    if (numSeries === 0) throw fail('the block has no series');

    const numPostings = this.verifyPostings(seriesRefs.view(), labelStart.view(), labelPool.view());
    this.verifyLabelIndices();

    const metaFile = `${this.name}/${META_FILENAME}`;
    const stats = meta.stats;
    if (stats.numSeries !== numSeries || stats.numChunks !== numChunks || stats.numSamples !== numSamples) {
      throw new CorruptBlockError(
        metaFile,
        `stats say ${stats.numSeries} series, ${stats.numChunks} chunks, ${stats.numSamples} samples; the block holds ${numSeries}, ${numChunks}, ${numSamples}`,
      );
    }
    await this.verifyFileList(metaFile);

    let unreferenced = 0;
    for (const r of chunkInfo.referenced) if (r === 0) unreferenced++;
    let chunkBytes = 0;
    for (let i = 0; i < this.chunks.segmentNames.length; i++) chunkBytes += this.chunks.segmentSize(i);
    return {
      ulid: meta.ulid,
      numSeries,
      numChunks,
      numSamples,
      numSymbols: ix.symbols.length,
      numPostings,
      numSegments: this.chunks.segmentNames.length,
      indexBytes: ix.bytes.length,
      chunkBytes,
      unreferencedChunks: unreferenced,
    };
  }

  /** Reads every chunk of every segment once (CRC checked); XOR chunks are decoded for their time range. */
  private async scanChunks(): Promise<ChunkTable> {
    const refs = new GrowableFloat64Array();
    const samples = new GrowableUint32Array();
    const firstT = new GrowableFloat64Array();
    const lastT = new GrowableFloat64Array();
    for (let seg = 0; seg < this.chunks.segmentNames.length; seg++) {
      const file = `${this.chunks.label}/${this.chunks.segmentNames[seg]}`;
      for await (const c of this.chunks.scan(seg)) {
        const where = `chunk at offset ${c.offset}`;
        if (c.data.length < 2) throw new CorruptBlockError(file, `${where} is too short to hold a sample count`);
        const count = (c.data[0]! << 8) | c.data[1]!;
        if (c.encoding === ChunkEncoding.XOR) {
          let decoded;
          try {
            decoded = decodeXorChunk(c.data);
          } catch (err) {
            throw new CorruptBlockError(file, `${where} does not decode as XOR: ${(err as Error).message}`, {
              cause: err,
            });
          }
          if (decoded.length === 0) throw new CorruptBlockError(file, `${where} holds no samples`);
          firstT.push(decoded[0]!.t);
          lastT.push(decoded[decoded.length - 1]!.t);
        } else if (c.encoding === ChunkEncoding.Histogram || c.encoding === ChunkEncoding.FloatHistogram) {
          firstT.push(Number.NaN);
          lastT.push(Number.NaN);
        } else {
          throw new CorruptBlockError(file, `${where} has unknown encoding ${c.encoding}`);
        }
        refs.push(seg * 0x1_0000_0000 + c.offset);
        samples.push(count);
      }
    }
    return new ChunkTable(refs.view(), samples, firstT, lastT);
  }

  /**
   * Each postings list must be strictly ascending, name only real series that carry its label,
   * and together cover every label of every series exactly once; the all-series list comes first.
   */
  private verifyPostings(seriesRefs: Float64Array, labelStart: Float64Array, labelPool: Uint32Array): number {
    const ix = this.index;
    const fail = (m: string): CorruptBlockError => new CorruptBlockError(ix.file, m);
    const table = ix.postingsTable();
    if (table.length === 0 || table[0]!.name !== '' || table[0]!.value !== '') {
      throw fail('the postings offset table does not start with the all-series key ("", "")');
    }
    const all = ix.postings(table[0]!.offset, 'all-series postings');
    if (all.length !== seriesRefs.length || all.some((r, i) => r !== seriesRefs[i])) {
      throw fail('the all-series postings list does not list exactly the series of the series section');
    }
    const symbolPos = new Map<string, number>();
    ix.symbols.forEach((s, i) => symbolPos.set(s, i));
    let covered = 0;
    let lastOffset = -1;
    for (let e = 1; e < table.length; e++) {
      const { name, value, offset } = table[e]!;
      const key = `postings for ${name}=${JSON.stringify(value)}`;
      const p = table[e - 1]!;
      const order = compareStrings(p.name, name) || compareStrings(p.value, value);
      if (order >= 0) throw fail(`the postings offset table is not sorted and unique at ${key}`);
      if (offset <= lastOffset) throw fail(`${key}: offsets in the postings offset table do not increase`);
      lastOffset = offset;
      const n = symbolPos.get(name);
      const v = symbolPos.get(value);
      if (n === undefined || v === undefined) throw fail(`${key}: name or value is not in the symbol table`);
      const list = ix.postings(offset, key);
      if (list.length === 0) throw fail(`${key} is empty`);
      for (let i = 0; i < list.length; i++) {
        if (i > 0 && list[i]! <= list[i - 1]!) throw fail(`${key} is not strictly ascending`);
        const idx = binarySearch(seriesRefs, list[i]!);
        if (idx < 0) throw fail(`${key} names series ref ${list[i]}, which does not exist`);
        let has = false;
        for (let k = labelStart[idx]!; k < labelStart[idx + 1]!; k += 2) {
          if (labelPool[k] === n && labelPool[k + 1] === v) has = true;
        }
        if (!has) throw fail(`${key} names series ref ${list[i]}, which lacks that label`);
      }
      covered += list.length;
    }
    if (covered * 2 !== labelPool.length) {
      throw fail(`postings cover ${covered} labels, but the series carry ${labelPool.length / 2}`);
    }
    return table.length;
  }

  /** The legacy label indices must list, per name, the values the postings table has. */
  private verifyLabelIndices(): void {
    const ix = this.index;
    const fail = (m: string): CorruptBlockError => new CorruptBlockError(ix.file, m);
    const expected = new Map<string, string[]>();
    for (const e of ix.postingsTable().slice(1)) {
      const list = expected.get(e.name) ?? [];
      list.push(e.value);
      expected.set(e.name, list);
    }
    const table = ix.labelIndicesTable();
    if (ix.toc.labelIndicesTable === 0) return;
    if (table.length !== expected.size)
      throw fail(`the label indices table lists ${table.length} names, the postings ${expected.size}`);
    for (const { name, offset } of table) {
      const values = ix
        .labelIndex(offset, `label index of ${name}`)
        .map((ref) => ix.symbol(ref, `label index of ${name}`));
      const want = expected.get(name);
      if (!want || want.length !== values.length || want.some((v, i) => v !== values[i])) {
        throw fail(`the label index of ${name} does not list the values its postings have`);
      }
    }
  }

  /** `thanos.files` and `segment_files`, when present, must match the directory exactly. */
  private async verifyFileList(metaFile: string): Promise<void> {
    const actual = new Map<string, number>();
    for (const [i, n] of this.chunks.segmentNames.entries())
      actual.set(`${CHUNKS_DIRNAME}/${n}`, this.chunks.segmentSize(i));
    actual.set(INDEX_FILENAME, this.index.bytes.length);
    actual.set(META_FILENAME, this.metaBytes);
    const extra = (await readdir(this.dir)).filter(
      (n) => n !== CHUNKS_DIRNAME && n !== INDEX_FILENAME && n !== META_FILENAME,
    );
    for (const n of extra) {
      if (n !== 'tombstones' && (await stat(join(this.dir, n))).isFile()) {
        throw new CorruptBlockError(`${this.name}/${n}`, 'unexpected file in the block directory');
      }
    }
    const files = this.meta.thanos.files;
    if (files !== undefined) {
      const listed = new Set<string>();
      for (const f of files) {
        listed.add(f.rel_path);
        const size = actual.get(f.rel_path);
        if (size === undefined)
          throw new CorruptBlockError(metaFile, `thanos.files lists ${f.rel_path}, which does not exist`);
        if (f.size_bytes !== undefined && f.size_bytes !== size) {
          throw new CorruptBlockError(
            metaFile,
            `thanos.files says ${f.rel_path} has ${f.size_bytes} bytes; it has ${size}`,
          );
        }
        if (f.size_bytes === undefined && f.rel_path !== META_FILENAME) {
          throw new CorruptBlockError(metaFile, `thanos.files lists ${f.rel_path} without its size`);
        }
      }
      for (const p of actual.keys()) {
        if (!listed.has(p)) throw new CorruptBlockError(metaFile, `thanos.files does not list ${p}`);
      }
    }
    const segs = this.meta.thanos.segment_files;
    if (segs !== undefined) {
      const names = this.chunks.segmentNames;
      if (segs.length !== names.length || segs.some((s, i) => s !== names[i])) {
        throw new CorruptBlockError(
          metaFile,
          `thanos.segment_files ${JSON.stringify(segs)} differs from the segments ${JSON.stringify(names)}`,
        );
      }
    }
  }
}

class ChunkTable {
  readonly referenced: Uint8Array;

  constructor(
    private readonly refs: Float64Array,
    readonly samples: GrowableUint32Array,
    readonly firstT: GrowableFloat64Array,
    readonly lastT: GrowableFloat64Array,
  ) {
    this.referenced = new Uint8Array(refs.length);
  }

  /** Index of the chunk starting at `ref`, or -1. */
  find(ref: number): number {
    return binarySearch(this.refs, ref);
  }
}

function binarySearch(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === x) return mid;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Label sets as symbol positions compare like the strings, since symbols are sorted. */
function compareRefs(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

function describe(symbols: readonly string[], refs: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < refs.length && i < 20; i += 2)
    parts.push(`${symbols[refs[i]!]}=${JSON.stringify(symbols[refs[i + 1]!])}`);
  return `{${parts.join(', ')}}`;
}
