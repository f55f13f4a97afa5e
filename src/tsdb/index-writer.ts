/**
 * Builds a block's `index` file, format v2 (tsdb/docs/format/index.md), laid out the way
 * Prometheus 2.42 lays it out: header, symbols, series, label indices, postings, label offset
 * table, postings offset table, TOC.
 *
 * Memory stays bounded as series grow: each series is appended to a scratch file in the spill
 * directory as it arrives (the ids of its label strings and its encoded chunk metas), strings are
 * collected in a bounded set spilled as sorted runs (`symbol-table.ts`), and postings are filled
 * in passes of bounded size from another scratch file. What stays in memory grows only with
 * distinct strings and label pairs (some 60 bytes each: hash tables on typed arrays, and 4 bytes
 * an id to find a string's position), not with series or chunks. A label string is hashed once,
 * when its series arrives; the series section then finds positions by id.
 *
 * Series may be added in any order. Prometheus sends them sorted, which is detected with one
 * comparison per series; otherwise the scratch file is sorted in runs and merged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compareStrings, formatLabels, type Label, type Labels } from '../labels.ts';
import { BufferedFile } from './buffered-file.ts';
import { ByteWriter, crc32cOf, uvarintSize } from './encoding.ts';
import { BlockWriteError, DuplicateSeriesError, InvalidLabelsError } from './errors.ts';
import { IndexStream } from './index-stream.ts';
import { PairTable } from './pair-table.ts';
import { compareRecordLabels, readUvarint, sortIntoRuns, uvarintEnd } from './series-records.ts';
import { mergeBufferBytes, mergeSorted, SpillReader, SpillWriter } from './spill-file.ts';
import { SymbolCollector, SymbolReader, type SortedSymbols } from './symbol-table.ts';

export const INDEX_MAGIC = 0xbaaad700;
export const INDEX_FORMAT_V2 = 2;
export const INDEX_HEADER_BYTES = 5;
export const INDEX_TOC_BYTES = 6 * 8 + 4;
/** The largest value of a 4-byte section length. */
const MAX_SECTION_BYTES = 0xffff_ffff;
/** Series are 16-byte aligned and referenced as offset/16 in 4-byte postings entries. */
const MAX_SERIES_SECTION_END = 16 * 0xffff_ffff;
/** Series records gathered in memory before they are appended to the scratch file. */
const PENDING_BYTES = 1 << 20;
const TWO_32 = 0x1_0000_0000;
/** The index file's own write buffer: only small writes between IndexStream's pieces land in it. */
const INDEX_FILE_BUFFER_BYTES = 64 * 1024;

export interface IndexWriterOptions {
  /**
   * Directory for scratch files while the index is built (a private subdirectory is made and
   * removed by `write`/`discard`). Without it nothing is spilled before `write`, which then
   * uses the index file's directory.
   */
  spillDir?: string;
  /** fsync the index file (default true); false for scratch blocks that need not survive a crash. */
  durable?: boolean;
  /** Distinct strings held in memory before a sorted run is spilled. */
  maxSymbolsInMemory?: number;
  /** Bytes of series records sorted in memory at a time, when series arrive unsorted. */
  sortRunBytes?: number;
  /** Postings entries (4 bytes each) filled in memory per pass. */
  postingsPerPass?: number;
}

const DEFAULTS: Required<Omit<IndexWriterOptions, 'spillDir' | 'durable'>> = {
  maxSymbolsInMemory: 1 << 18,
  sortRunBytes: 32 << 20,
  postingsPerPass: 1 << 23,
};

export interface TimeRange {
  minTime: number;
  /** inclusive */
  maxTime: number;
}

export interface ChunkMeta extends TimeRange {
  ref: number;
}

export interface IndexToc {
  symbols: number;
  series: number;
  labelIndices: number;
  labelIndicesTable: number;
  postings: number;
  postingsTable: number;
}

export interface WrittenIndex {
  sizeBytes: number;
  toc: IndexToc;
  numSeries: number;
  numSymbols: number;
}

export class IndexWriter {
  private readonly opts: Required<Omit<IndexWriterOptions, 'spillDir' | 'durable'>> & {
    spillDir: string | undefined;
    durable: boolean;
  };
  private readonly symbols: SymbolCollector;
  private readonly record = new ByteWriter(1024);
  private pending = new ByteWriter(64 * 1024);
  private pendingRecords = 0;
  private spill: SpillWriter | undefined;
  private workDir: string | undefined;
  /** The previous series' names and values, and their symbol ids. */
  private readonly prevNames: string[] = [];
  private readonly prevValues: string[] = [];
  private readonly prevIds: number[] = [];
  private prevCount = 0;
  private sorted = true;
  private series = 0;

  constructor(opts: IndexWriterOptions = {}) {
    this.opts = {
      spillDir: opts.spillDir,
      durable: opts.durable ?? true,
      maxSymbolsInMemory: opts.maxSymbolsInMemory ?? DEFAULTS.maxSymbolsInMemory,
      sortRunBytes: opts.sortRunBytes ?? DEFAULTS.sortRunBytes,
      postingsPerPass: opts.postingsPerPass ?? DEFAULTS.postingsPerPass,
    };
    this.symbols = new SymbolCollector(this.opts.maxSymbolsInMemory);
    // Prometheus' symbol table always holds "" (from the all-postings key); keeping it makes our
    // index byte-identical to one Prometheus writes for the same series.
    this.symbols.add('');
  }

  get numSeries(): number {
    return this.series;
  }

  /**
   * Records one series. `labels` must pass `LabelValidator` (`label-checks.ts`); `chunks` must be non-empty, sorted
   * and non-overlapping (the block writer checks both before any byte is written). Await
   * `flush` whenever `wantsFlush` is true to keep memory bounded.
   */
  addSeries(labels: Labels, chunks: readonly ChunkMeta[]): void {
    this.addSeriesRefs(labels, chunks, null);
  }

  /**
   * `addSeries` with each chunk's reference in `refs[i]` instead of on the chunk (when given):
   * the block writer passes its chunks and a reused array, not a meta object per chunk.
   */
  addSeriesRefs(labels: Labels, chunks: readonly TimeRange[] | readonly ChunkMeta[], refs: Float64Array | null): void {
    const rec = this.record;
    rec.reset();
    rec.putUvarint(labels.length);
    // Series arrive sorted, so most names and many values equal the previous series' at the same
    // place (often as the very same string objects); those keep the previous ids without a hash
    // lookup. The previous strings are kept as copies, and the order is judged against those
    // copies: a label array that the caller reuses and changes in place can hide neither a
    // symbol nor a step back in order.
    const known = this.prevCount;
    const ids = this.prevIds;
    // Go's labels.Compare against the previous series: pair by pair, then the shorter first.
    let order = this.series === 0 ? -1 : 0;
    for (let k = 0; k < labels.length; k++) {
      const [name, value] = labels[k]!;
      const newName = k >= known || this.prevNames[k] !== name;
      const newValue = k >= known || this.prevValues[k] !== value;
      if (order === 0 && k < known)
        order = newName
          ? compareStrings(this.prevNames[k]!, name)
          : newValue
            ? compareStrings(this.prevValues[k]!, value)
            : 0;
      if (newName) ids[2 * k] = this.symbols.add(name);
      if (newValue) ids[2 * k + 1] = this.symbols.add(value);
      rec.putUvarint(ids[2 * k]!);
      rec.putUvarint(ids[2 * k + 1]!);
      this.prevNames[k] = name;
      this.prevValues[k] = value;
    }
    encodeChunkMetas(rec, chunks, refs);
    if (order === 0) order = known - labels.length;
    if (order > 0) this.sorted = false;
    this.prevCount = labels.length;
    this.pending.putUvarint(rec.length);
    this.pending.putWriter(rec);
    this.pendingRecords++;
    this.series++;
  }

  get wantsFlush(): boolean {
    return this.opts.spillDir !== undefined && (this.pending.length >= PENDING_BYTES || this.symbols.full);
  }

  /** Moves what `addSeries` gathered to the scratch files. */
  async flush(): Promise<void> {
    await this.flushTo(this.opts.spillDir);
  }

  private async flushTo(dir: string | undefined): Promise<string> {
    const work = await this.work(dir ?? this.opts.spillDir!);
    this.spill ??= await SpillWriter.create(join(work, 'series'));
    await this.spill.appendEncoded(this.pending.view(), this.pendingRecords);
    this.pending.reset();
    this.pendingRecords = 0;
    if (this.symbols.full) await this.symbols.spill(work);
    return work;
  }

  private async work(dir: string): Promise<string> {
    if (this.workDir === undefined) {
      try {
        this.workDir = await mkdtemp(join(dir, 'index-build-'));
      } catch (err) {
        throw new BlockWriteError(
          dir,
          `could not create scratch space in ${dir}: ${(err as Error).message}; check free disk space and permissions of the data directory`,
          { cause: err },
        );
      }
    }
    return this.workDir;
  }

  /** Sorts everything and writes the index file at `path` (fsynced); scratch files are removed. */
  async write(path: string): Promise<WrittenIndex> {
    try {
      const work = await this.flushTo(this.opts.spillDir ?? dirname(path));
      this.pending = new ByteWriter(16);
      const spill = this.spill!;
      await spill.close();
      const symbols = await this.symbols.finish(work, join(work, 'symbols'));
      const positionOf = symbols.positionOf;
      const runs = this.sorted
        ? [spill.path]
        : await sortIntoRuns(spill.path, work, this.opts.sortRunBytes, (a, b) => compareRecordLabels(a, b, positionOf));
      // IndexStream gathers the index in pieces of a megabyte, which go past a small buffer
      // straight to the file; a default 4 MiB buffer would only hold a second copy of them.
      const file = await BufferedFile.create(path, INDEX_FILE_BUFFER_BYTES);
      try {
        const toc = await writeIndexFile(file, {
          symbols,
          runs,
          work,
          numSeries: this.series,
          postingsPerPass: this.opts.postingsPerPass,
        });
        const sizeBytes = await file.close({ sync: this.opts.durable });
        return { sizeBytes, toc, numSeries: this.series, numSymbols: symbols.count };
      } catch (err) {
        await file.discard();
        throw err;
      }
    } finally {
      await this.discard();
    }
  }

  /** Removes the scratch files; for a writer that will not be written. */
  async discard(): Promise<void> {
    await this.spill?.discard();
    if (this.workDir !== undefined) await rm(this.workDir, { recursive: true, force: true });
    this.workDir = undefined;
  }
}

interface IndexInput {
  symbols: SortedSymbols;
  /** Spill files of series records, each sorted; merged they give the index order. */
  runs: string[];
  work: string;
  numSeries: number;
  postingsPerPass: number;
}

/**
 * `chunk count | mint varint | maxt-mint uvarint | ref uvarint`, then per further chunk
 * `mint-prevMaxt uvarint | maxt-mint uvarint | ref-prevRef varint`, as Prometheus' index writer.
 */
function encodeChunkMetas(
  out: ByteWriter,
  chunks: readonly TimeRange[] | readonly ChunkMeta[],
  refs: Float64Array | null,
): void {
  out.putUvarint(chunks.length);
  const first = chunks[0];
  if (first === undefined) return;
  let prevRef = refs === null ? (first as ChunkMeta).ref : refs[0]!;
  out.putVarint(first.minTime);
  out.putUvarint(first.maxTime - first.minTime);
  out.putUvarint(prevRef);
  for (let i = 1; i < chunks.length; i++) {
    const c = chunks[i]!;
    const prev = chunks[i - 1]!;
    const ref = refs === null ? (c as ChunkMeta).ref : refs[i]!;
    out.putUvarint(c.minTime - prev.maxTime);
    out.putUvarint(c.maxTime - c.minTime);
    out.putVarint(ref - prevRef);
    prevRef = ref;
  }
}

async function writeIndexFile(file: BufferedFile, input: IndexInput): Promise<IndexToc> {
  const out = new IndexStream(file);
  out.w.putBe32(INDEX_MAGIC);
  out.w.putByte(INDEX_FORMAT_V2);

  const symbolsAt = out.position;
  const reader = new SymbolReader(input.symbols.path, input.symbols.count);
  try {
    const postingsPath = join(input.work, 'postings');
    // In a function of its own so the symbol and pair hash tables can be collected before the
    // postings are filled.
    const { seriesAt, plan } = await writeSymbolsAndSeries(out, input, reader, postingsPath);

    const labelIndicesAt = out.position;
    const labelIndexOffsets = await writeLabelIndices(out, plan);

    const postingsAt = out.position;
    const postingOffsets = await writePostings(out, plan, postingsPath, input);

    const labelIndicesTableAt = out.position;
    writeLabelIndicesTable(out, plan, labelIndexOffsets, reader);

    const postingsTableAt = out.position;
    await writePostingsTable(out, plan, postingOffsets, reader);

    const toc: IndexToc = {
      symbols: symbolsAt,
      series: seriesAt,
      labelIndices: labelIndicesAt,
      labelIndicesTable: labelIndicesTableAt,
      postings: postingsAt,
      postingsTable: postingsTableAt,
    };
    const tocAt = out.w.length;
    for (const off of [symbolsAt, seriesAt, labelIndicesAt, labelIndicesTableAt, postingsAt, postingsTableAt]) {
      out.w.putBe64(off);
    }
    out.w.putBe32(crc32cOf(out.w.view().subarray(tocAt)));
    await out.flush();
    return toc;
  } finally {
    reader.close();
  }
}

async function writeSymbolsAndSeries(
  out: IndexStream,
  input: IndexInput,
  reader: SymbolReader,
  postingsPath: string,
): Promise<{ seriesAt: number; plan: PairPlan }> {
  await writeSymbols(out, input.symbols, reader);
  const seriesAt = out.position;
  const pairs = await writeSeries(out, input, reader, postingsPath);
  return { seriesAt, plan: planPairs(pairs) };
}

/**
 * `len be32 | count be32 | (uvarint len, utf-8)* | crc`; len and CRC cover count + strings. The
 * sorted symbols file already holds the strings in this encoding; on the way through, the reader
 * notes where they lie.
 */
async function writeSymbols(out: IndexStream, symbols: SortedSymbols, reader: SymbolReader): Promise<void> {
  const len = 4 + symbols.bytes;
  if (len > MAX_SECTION_BYTES) {
    throw new InvalidLabelsError(
      `the symbol table would take ${len} bytes, more than an index can hold (4 GiB); split the block`,
    );
  }
  out.w.putBe32(len);
  out.beginCrc();
  out.w.putBe32(symbols.count);
  const file = await SpillReader.open(symbols.path);
  try {
    let offset = 0;
    for (let i = 0; ; i++) {
      let s = file.tryNext();
      if (s === undefined) s = await file.next();
      if (s === null) break;
      out.w.putUvarint(s.length);
      out.w.putBytes(s);
      reader.note(i, offset);
      offset += s.length + uvarintSize(s.length);
      if (out.full) await out.flush();
    }
  } finally {
    await file.close();
  }
  out.w.putBe32(out.endCrc());
}

/**
 * Series entries in label order, each 16-byte aligned: `uvarint len | label count | (name pos,
 * value pos)* | chunk metas | crc`. Every series' reference and label pairs go to the postings
 * scratch file as `uvarint ref | uvarint pair id*`.
 */
async function writeSeries(
  out: IndexStream,
  input: IndexInput,
  reader: SymbolReader,
  postingsPath: string,
): Promise<PairTable> {
  const positionOf = input.symbols.positionOf;
  const pairs = new PairTable(input.symbols.count);
  const postings = await SpillWriter.create(postingsPath);
  const pending = new ByteWriter(PENDING_BYTES + 64 * 1024);
  let pendingRecords = 0;
  const entry = new ByteWriter(4096);
  const pairIds: number[] = [];
  // Per label place of the previous series: its name and value positions and the pair's id.
  // Series come sorted, so most names and many values repeat at the same place, and an equal
  // pair of positions replaces a pair lookup.
  let prevCount = -1;
  const prev: number[] = [];

  const add = (r: Buffer): void => {
    entry.reset();
    const n = readUvarint(r, 0);
    let p = uvarintEnd;
    entry.putUvarint(n);
    let same = n === prevCount;
    for (let k = 0; k < n; k++) {
      const nameId = readUvarint(r, p);
      const valueId = readUvarint(r, uvarintEnd);
      p = uvarintEnd;
      if (nameId >= positionOf.length || valueId >= positionOf.length) {
        throw new BlockWriteError(
          input.symbols.path,
          'a label of a series is missing from the symbol table; the scratch files were changed while the block was built',
        );
      }
      const name = positionOf[nameId]!;
      const value = positionOf[valueId]!;
      entry.putUvarint(name);
      entry.putUvarint(value);
      const at = 3 * k;
      const samePair = k < prevCount && prev[at] === name && prev[at + 1] === value;
      const pair = samePair ? pairs.countAgain(prev[at + 2]!) : pairs.count(name, value);
      if (!samePair) same = false;
      pairIds[k] = pair;
      prev[at] = name;
      prev[at + 1] = value;
      prev[at + 2] = pair;
    }
    // Equal label sets are adjacent in sorted order and have equal positions.
    if (same) {
      const labels: Label[] = [];
      for (let k = 0; k < n; k++) {
        labels.push([reader.get(prev[3 * k]!).toString('utf8'), reader.get(prev[3 * k + 1]!).toString('utf8')]);
      }
      throw new DuplicateSeriesError(
        `the series ${formatLabels(labels)} was added twice to one block; each label set may appear once, so the block was not written`,
      );
    }
    prevCount = n;
    entry.putRange(r, p, r.length);

    out.pad(16);
    if (out.position >= MAX_SERIES_SECTION_END) {
      throw new InvalidLabelsError('the series section outgrew the 64 GiB an index can address; split the block');
    }
    // The postings record `uvarint ref | uvarint pair id*`, with its length in front.
    const ref = out.position / 16;
    let postLength = uvarintSize(ref);
    for (let k = 0; k < n; k++) postLength += uvarintSize(pairIds[k]!);
    pending.putUvarint(postLength);
    pending.putUvarint(ref);
    for (let k = 0; k < n; k++) pending.putUvarint(pairIds[k]!);
    pendingRecords++;
    out.w.putUvarint(entry.length);
    out.w.putWriter(entry);
    out.w.putBe32(entry.crc32cFrom(0));
  };
  // Checked without a promise per series; only an actual flush is awaited.
  const flushDue = (): boolean => out.full || pending.length >= PENDING_BYTES;
  const flush = async (): Promise<void> => {
    if (out.full) await out.flush();
    if (pending.length >= PENDING_BYTES) {
      await postings.appendEncoded(pending.view(), pendingRecords);
      pending.reset();
      pendingRecords = 0;
    }
  };

  const readers: SpillReader[] = [];
  try {
    for (const run of input.runs) readers.push(await SpillReader.open(run, mergeBufferBytes(input.runs.length)));
    if (readers.length === 1) {
      const only = readers[0]!;
      for (;;) {
        let r = only.tryNext();
        if (r === undefined) r = await only.next();
        if (r === null) break;
        add(r);
        if (flushDue()) await flush();
      }
    } else {
      await mergeSorted(
        readers,
        (a, b) => compareRecordLabels(a, b, positionOf),
        (r) => {
          add(r);
          return flushDue() ? flush() : undefined;
        },
      );
    }
    await postings.appendEncoded(pending.view(), pendingRecords);
    await postings.close();
  } catch (err) {
    await postings.discard();
    throw err;
  } finally {
    for (const r of readers) await r.close();
  }
  if (postings.records !== input.numSeries) {
    throw new BlockWriteError(
      postingsPath,
      `wrote ${postings.records} series to the index but ${input.numSeries} were added; the scratch files were changed while the block was built`,
    );
  }
  return pairs;
}

/** Label pairs in (name, value) order; names are symbol positions, so position order is string order. */
interface PairPlan {
  /** Sorted distinct name positions. */
  names: Uint32Array;
  /** Per rank: index into `names` × 2^32 + value position. */
  keys: Float64Array;
  /** Per pair id: its rank. */
  rankOf: Uint32Array;
  /** Per rank: how many series carry the pair. */
  counts: Uint32Array;
}

function planPairs(pairs: PairTable): PairPlan {
  const n = pairs.size;
  const pairNames = pairs.names.view();
  const pairValues = pairs.values.view();
  // Name positions → their index among the distinct names, in a typed array over positions (a
  // Set and a Map of a quarter million boxed numbers cost more than the whole rest of the plan).
  let maxName = -1;
  for (let id = 0; id < n; id++) if (pairNames[id]! > maxName) maxName = pairNames[id]!;
  const nameIndex = new Int32Array(maxName + 1).fill(-1);
  for (let id = 0; id < n; id++) nameIndex[pairNames[id]!] = 0;
  let distinct = 0;
  for (let pos = 0; pos <= maxName; pos++) if (nameIndex[pos] === 0) distinct++;
  if (distinct >= 2 ** 21) {
    throw new InvalidLabelsError(`a block with ${distinct} distinct label names cannot be indexed; split the block`);
  }
  const names = new Uint32Array(distinct);
  for (let pos = 0, i = 0; pos <= maxName; pos++) {
    if (nameIndex[pos] !== 0) continue;
    names[i] = pos;
    nameIndex[pos] = i++;
  }
  // Pair ids in (name, value) order by two stable counting passes (value, then name): no
  // comparisons, and no hash lookup per pair to find which pair a sorted key came from.
  let maxValue = -1;
  for (let id = 0; id < n; id++) if (pairValues[id]! > maxValue) maxValue = pairValues[id]!;
  const byValue = countingOrder(n, maxValue + 1, (id) => pairValues[id]!, null);
  const order = countingOrder(n, distinct, (id) => nameIndex[pairNames[id]!]!, byValue);
  // One float64 per pair: (name index, value position) packed exactly below 2^53.
  const keys = new Float64Array(n);
  const rankOf = new Uint32Array(n);
  const counts = new Uint32Array(n);
  const pairCounts = pairs.counts.view();
  for (let r = 0; r < n; r++) {
    const id = order[r]!;
    keys[r] = nameIndex[pairNames[id]!]! * TWO_32 + pairValues[id]!;
    rankOf[id] = r;
    counts[r] = pairCounts[id]!;
  }
  return { names, keys, rankOf, counts };
}

/**
 * The ids `0..n-1` (or `input`'s order of them) stably sorted by `key(id)`, a whole number below
 * `range`.
 */
function countingOrder(n: number, range: number, key: (id: number) => number, input: Uint32Array | null): Uint32Array {
  const starts = new Uint32Array(range + 1);
  for (let id = 0; id < n; id++) starts[key(id) + 1]!++;
  for (let k = 0; k < range; k++) starts[k + 1]! += starts[k]!;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const id = input === null ? i : input[i]!;
    out[starts[key(id)]!++] = id;
  }
  return out;
}

function rankName(plan: PairPlan, r: number): number {
  return plan.names[Math.floor(plan.keys[r]! / TWO_32)]!;
}

function rankValue(plan: PairPlan, r: number): number {
  return plan.keys[r]! % TWO_32;
}

/** Distinct label names in order, each with its first and past-last pair rank. */
function* nameGroups(plan: PairPlan): Generator<{ name: number; from: number; to: number }> {
  const n = plan.keys.length;
  let from = 0;
  while (from < n) {
    const nameIdx = Math.floor(plan.keys[from]! / TWO_32);
    let to = from + 1;
    while (to < n && Math.floor(plan.keys[to]! / TWO_32) === nameIdx) to++;
    yield { name: plan.names[nameIdx]!, from, to };
    from = to;
  }
}

/** Legacy per-name value lists; Prometheus 2.42 still writes them, so we do too. */
async function writeLabelIndices(out: IndexStream, plan: PairPlan): Promise<number[]> {
  const offsets: number[] = [];
  for (const g of nameGroups(plan)) {
    out.pad(4);
    offsets.push(out.position);
    const count = g.to - g.from;
    out.w.putBe32(8 + 4 * count);
    out.beginCrc();
    out.w.putBe32(1);
    out.w.putBe32(count);
    for (let r = g.from; r < g.to; r++) {
      out.w.putBe32(rankValue(plan, r));
      if (out.full) await out.flush();
    }
    out.w.putBe32(out.endCrc());
  }
  return offsets;
}

/**
 * Postings lists, each 4-byte aligned: `len be32 | count be32 | series ref be32 * count | crc`.
 * The all-series list (key "", "") comes first. Lists are filled from the postings scratch
 * file in passes of at most `postingsPerPass` entries (one pass unless the block is huge).
 * Returns offsets: [all, ...per pair rank].
 */
async function writePostings(
  out: IndexStream,
  plan: PairPlan,
  postingsPath: string,
  input: IndexInput,
): Promise<Float64Array> {
  const numPairs = plan.keys.length;
  const offsets = new Float64Array(numPairs + 1);

  /** Each postings record, as a range of a buffer (no view per series). */
  const eachSeries = async (fn: (b: Buffer, start: number, end: number) => void): Promise<void> => {
    const reader = await SpillReader.open(postingsPath);
    try {
      for (;;) {
        let more = reader.tryNextRange();
        while (more === undefined) {
          await reader.fill();
          more = reader.tryNextRange();
        }
        if (!more) return;
        fn(reader.buffer, reader.recordStart, reader.recordEnd);
        if (out.full) await out.flush();
      }
    } finally {
      await reader.close();
    }
  };

  out.pad(4);
  offsets[0] = out.position;
  out.w.putBe32(4 + 4 * input.numSeries);
  out.beginCrc();
  out.w.putBe32(input.numSeries);
  await eachSeries((b, start) => out.w.putBe32(readUvarint(b, start)));
  out.w.putBe32(out.endCrc());

  // Counting sort per pass: series come in index order, so each list fills in ascending order.
  const starts = new Float64Array(numPairs + 1);
  for (let r = 0; r < numPairs; r++) starts[r + 1] = starts[r]! + plan.counts[r]!;
  for (let from = 0; from < numPairs;) {
    let to = from + 1;
    while (to < numPairs && starts[to + 1]! - starts[from]! <= input.postingsPerPass) to++;
    const base = starts[from]!;
    const lists = new Uint32Array(starts[to]! - base);
    const fill = new Uint32Array(to - from);
    for (let r = from; r < to; r++) fill[r - from] = starts[r]! - base;
    await eachSeries((b, start, end) => {
      const ref = readUvarint(b, start);
      let p = uvarintEnd;
      while (p < end) {
        const rank = plan.rankOf[readUvarint(b, p)]!;
        p = uvarintEnd;
        if (rank >= from && rank < to) lists[fill[rank - from]!++] = ref;
      }
    });
    for (let r = from; r < to; r++) {
      out.pad(4);
      offsets[r + 1] = out.position;
      const a = starts[r]! - base;
      const b = starts[r + 1]! - base;
      out.w.putBe32(4 + 4 * (b - a));
      out.beginCrc();
      out.w.putBe32(b - a);
      for (let i = a; i < b; i++) out.w.putBe32(lists[i]!);
      out.w.putBe32(out.endCrc());
      if (out.full) await out.flush();
    }
    from = to;
  }
  return offsets;
}

function writeLabelIndicesTable(
  out: IndexStream,
  plan: PairPlan,
  offsets: readonly number[],
  reader: SymbolReader,
): void {
  const body = new ByteWriter(4096);
  body.putBe32(offsets.length);
  let i = 0;
  for (const g of nameGroups(plan)) {
    body.putUvarint(1);
    const name = reader.get(g.name);
    body.putUvarint(name.length);
    body.putBytes(name);
    body.putUvarint(offsets[i++]!);
  }
  if (body.length > MAX_SECTION_BYTES) {
    throw new InvalidLabelsError(`an index table would take ${body.length} bytes, more than 4 GiB; split the block`);
  }
  out.w.putBe32(body.length);
  out.w.putBytes(body.view());
  out.w.putBe32(crc32cOf(body.view()));
}

/** `len be32 | count be32 | (2, name, value, offset)* | crc`; the length is patched in at the end. */
async function writePostingsTable(
  out: IndexStream,
  plan: PairPlan,
  offsets: Float64Array,
  reader: SymbolReader,
): Promise<void> {
  const numPairs = plan.keys.length;
  const lenAt = out.position;
  out.w.putBe32(0);
  out.beginCrc();
  out.w.putBe32(numPairs + 1);
  out.w.putUvarint(2);
  out.w.putUvarint(0);
  out.w.putUvarint(0);
  out.w.putUvarint(offsets[0]!);
  let name = Buffer.alloc(0);
  let namePos = -1;
  for (let r = 0; r < numPairs; r++) {
    const n = rankName(plan, r);
    if (n !== namePos) {
      // A copy: the reader's window moves on while this name's values are read.
      name = Buffer.from(reader.get(n));
      namePos = n;
    }
    const value = reader.get(rankValue(plan, r));
    out.w.putUvarint(2);
    out.w.putUvarint(name.length);
    out.w.putBytes(name);
    out.w.putUvarint(value.length);
    out.w.putBytes(value);
    out.w.putUvarint(offsets[r + 1]!);
    if (out.full) await out.flush();
  }
  const bodyBytes = out.position - lenAt - 4;
  if (bodyBytes > MAX_SECTION_BYTES) {
    throw new InvalidLabelsError(`an index table would take ${bodyBytes} bytes, more than 4 GiB; split the block`);
  }
  out.w.putBe32(out.endCrc());
  await out.patchBe32(lenAt, bodyBytes);
}
