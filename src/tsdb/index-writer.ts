/**
 * Builds a block's `index` file, format v2 (tsdb/docs/format/index.md), laid out the way
 * Prometheus 2.42 lays it out: header, symbols, series, label indices, postings, label offset
 * table, postings offset table, TOC.
 *
 * Series may be added in any order. Each one is kept as a few integers (ids of interned label
 * pairs plus its pre-encoded chunk metas); strings are interned once. At `write` the symbols,
 * label pairs and series are sorted in Go's byte order and the file is streamed out.
 */
import { compareStrings, formatLabels, type Label, type Labels } from '../labels.ts';
import { BufferedFile } from './buffered-file.ts';
import { ByteWriter, crc32cOf, uvarintSize } from './encoding.ts';
import { DuplicateSeriesError, InvalidLabelsError } from './errors.ts';
import { ByteArena, GrowableFloat64Array, GrowableUint32Array } from './growable-arrays.ts';

export const INDEX_MAGIC = 0xbaaad700;
export const INDEX_FORMAT_V2 = 2;
export const INDEX_HEADER_BYTES = 5;
export const INDEX_TOC_BYTES = 6 * 8 + 4;
/** The largest value of a 4-byte section length. */
const MAX_SECTION_BYTES = 0xffff_ffff;
/** Series are 16-byte aligned and referenced as offset/16 in 4-byte postings entries. */
const MAX_SERIES_SECTION_END = 16 * 0xffff_ffff;
const SPILL_BYTES = 1 << 20;

export interface ChunkMeta {
  minTime: number;
  /** inclusive */
  maxTime: number;
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

const SURROGATE = /\p{Surrogate}/u;

/**
 * Throws `InvalidLabelsError` unless the set is non-empty, names are sorted (Go byte order) and
 * unique, and no name or value is empty or holds a lone UTF-16 surrogate (which has no UTF-8 form).
 */
export function validateLabels(labels: Labels): void {
  if (labels.length === 0) {
    throw new InvalidLabelsError('a series has no labels; every series needs at least one label');
  }
  let prev: Label | undefined;
  for (const label of labels) {
    const [name, value] = label;
    if (typeof name !== 'string' || typeof value !== 'string') {
      throw new InvalidLabelsError(`series ${safeFormat(labels)} has a label that is not a pair of strings`);
    }
    if (name === '' || value === '') {
      throw new InvalidLabelsError(
        `series ${safeFormat(labels)} has an empty label ${name === '' ? 'name' : `value for ${name}`}; Prometheus treats empty values as absent, drop the label`,
      );
    }
    if (SURROGATE.test(name) || SURROGATE.test(value)) {
      throw new InvalidLabelsError(`series ${safeFormat(labels)} has a label with invalid UTF-16 (lone surrogate)`);
    }
    if (prev !== undefined) {
      const order = compareStrings(prev[0], name);
      if (order === 0) {
        throw new InvalidLabelsError(`series ${safeFormat(labels)} has the label name ${name} twice`);
      }
      if (order > 0) {
        throw new InvalidLabelsError(
          `series ${safeFormat(labels)} has labels out of order (${prev[0]} before ${name}); sort them with sortLabels`,
        );
      }
    }
    prev = label;
  }
}

function safeFormat(labels: Labels): string {
  try {
    return formatLabels(labels);
  } catch {
    return '<unprintable labels>';
  }
}

export class IndexWriter {
  // Interned strings: temporary id (arrival order) -> string.
  private readonly symbolIds = new Map<string, number>();
  private readonly symbolStrings: string[] = [];
  // Interned label pairs: name -> value -> pair id; per pair the symbol ids and series count.
  private readonly pairIds = new Map<string, Map<string, number>>();
  private readonly pairName = new GrowableUint32Array();
  private readonly pairValue = new GrowableUint32Array();
  private readonly pairSeries = new GrowableUint32Array();
  // Per series (arrival order): its pair ids in seriesPairs[pairStart[i] .. pairStart[i+1]) and
  // its encoded "chunk count + chunk metas" in metaArena[metaStart[i] .. metaStart[i+1]).
  private readonly seriesPairs = new GrowableUint32Array(8192);
  private readonly pairStart = new GrowableFloat64Array();
  private readonly metaArena = new ByteArena();
  private readonly metaStart = new GrowableFloat64Array();
  private readonly scratch = new ByteWriter(1024);

  constructor() {
    this.pairStart.push(0);
    this.metaStart.push(0);
    // Prometheus' symbol table always holds "" (from the all-postings key); keeping it makes our
    // index byte-identical to one Prometheus writes for the same series.
    this.intern('');
  }

  get numSeries(): number {
    return this.pairStart.length - 1;
  }

  /**
   * Records one series. `labels` must pass `validateLabels`; `chunks` must be non-empty, sorted
   * and non-overlapping (the block writer checks both before any byte is written).
   */
  addSeries(labels: Labels, chunks: readonly ChunkMeta[]): void {
    for (const [name, value] of labels) {
      let values = this.pairIds.get(name);
      if (values === undefined) {
        values = new Map();
        this.pairIds.set(name, values);
      }
      let pair = values.get(value);
      if (pair === undefined) {
        pair = this.pairName.length;
        values.set(value, pair);
        this.pairName.push(this.intern(name));
        this.pairValue.push(this.intern(value));
        this.pairSeries.push(0);
      }
      this.pairSeries.increment(pair);
      this.seriesPairs.push(pair);
    }
    this.pairStart.push(this.seriesPairs.length);
    this.metaStart.push(this.metaArena.append(encodeChunkMetas(this.scratch, chunks)) + this.scratch.length);
  }

  private intern(s: string): number {
    let id = this.symbolIds.get(s);
    if (id === undefined) {
      id = this.symbolStrings.length;
      this.symbolIds.set(s, id);
      this.symbolStrings.push(s);
    }
    return id;
  }

  /** Sorts everything and writes the index file at `path` (fsynced). */
  async write(path: string): Promise<WrittenIndex> {
    const plan = this.plan();
    const file = await BufferedFile.create(path);
    try {
      const toc = await writeIndexFile(file, plan);
      const sizeBytes = await file.close();
      return { sizeBytes, toc, numSeries: this.numSeries, numSymbols: plan.symbols.length };
    } catch (err) {
      await file.discard();
      throw err;
    }
  }

  private plan(): IndexPlan {
    const symbolOrder = this.symbolStrings.map((_, i) => i);
    symbolOrder.sort((a, b) => compareStrings(this.symbolStrings[a]!, this.symbolStrings[b]!));
    const symbolPos = new Uint32Array(symbolOrder.length);
    symbolOrder.forEach((id, pos) => (symbolPos[id] = pos));
    const symbols = symbolOrder.map((id) => this.symbolStrings[id]!);

    // Pairs in (name, value) order; since symbol positions follow string order, comparing
    // positions compares the strings.
    const numPairs = this.pairName.length;
    const pairName = this.pairName.view();
    const pairValue = this.pairValue.view();
    const pairOrder = new Uint32Array(numPairs);
    for (let i = 0; i < numPairs; i++) pairOrder[i] = i;
    pairOrder.sort(
      (a, b) => symbolPos[pairName[a]!]! - symbolPos[pairName[b]!]! || symbolPos[pairValue[a]!]! - symbolPos[pairValue[b]!]!,
    );
    const pairRank = new Uint32Array(numPairs);
    const rankName = new Uint32Array(numPairs);
    const rankValue = new Uint32Array(numPairs);
    const rankSeries = new Uint32Array(numPairs);
    const pairSeries = this.pairSeries.view();
    pairOrder.forEach((pair, rank) => {
      pairRank[pair] = rank;
      rankName[rank] = symbolPos[pairName[pair]!]!;
      rankValue[rank] = symbolPos[pairValue[pair]!]!;
      rankSeries[rank] = pairSeries[pair]!;
    });

    // A series' labels are sorted by name, so its pair ranks compared element-wise (shorter
    // first on a tie) give exactly Prometheus' labels.Compare.
    const ranks = this.seriesPairs.view();
    for (let i = 0; i < ranks.length; i++) ranks[i] = pairRank[ranks[i]!]!;
    const pairStart = this.pairStart.view();
    const numSeries = this.numSeries;
    const seriesOrder = new Uint32Array(numSeries);
    for (let i = 0; i < numSeries; i++) seriesOrder[i] = i;
    const compareSeries = (a: number, b: number): number => {
      const a0 = pairStart[a]!;
      const b0 = pairStart[b]!;
      const na = pairStart[a + 1]! - a0;
      const nb = pairStart[b + 1]! - b0;
      const n = Math.min(na, nb);
      for (let k = 0; k < n; k++) {
        const d = ranks[a0 + k]! - ranks[b0 + k]!;
        if (d !== 0) return d;
      }
      return na - nb;
    };
    seriesOrder.sort(compareSeries);
    for (let i = 1; i < numSeries; i++) {
      if (compareSeries(seriesOrder[i - 1]!, seriesOrder[i]!) === 0) {
        const s = seriesOrder[i]!;
        const labels: Label[] = [];
        for (let k = pairStart[s]!; k < pairStart[s + 1]!; k++) {
          labels.push([symbols[rankName[ranks[k]!]!]!, symbols[rankValue[ranks[k]!]!]!]);
        }
        throw new DuplicateSeriesError(
          `the series ${formatLabels(labels)} was added twice to one block; each label set may appear once (check for external labels colliding with series labels)`,
        );
      }
    }

    return {
      symbols,
      rankName,
      rankValue,
      rankSeries,
      seriesOrder,
      seriesRanks: ranks,
      pairStart,
      metaStart: this.metaStart.view(),
      metaArena: this.metaArena,
    };
  }
}

interface IndexPlan {
  /** Sorted, unique. */
  symbols: string[];
  /** Per pair rank: symbol positions of name and value, and how many series carry the pair. */
  rankName: Uint32Array;
  rankValue: Uint32Array;
  rankSeries: Uint32Array;
  /** Series ids (arrival order) in index order. */
  seriesOrder: Uint32Array;
  /** Pair ranks of all series, sliced by `pairStart`. */
  seriesRanks: Uint32Array;
  pairStart: Float64Array;
  metaStart: Float64Array;
  metaArena: ByteArena;
}

/**
 * `chunk count | mint varint | maxt-mint uvarint | ref uvarint`, then per further chunk
 * `mint-prevMaxt uvarint | maxt-mint uvarint | ref-prevRef varint`, as Prometheus' index writer.
 */
function encodeChunkMetas(out: ByteWriter, chunks: readonly ChunkMeta[]): Uint8Array {
  out.reset();
  out.putUvarint(chunks.length);
  let prevMaxT = 0;
  let prevRef = 0;
  chunks.forEach((c, i) => {
    if (i === 0) {
      out.putVarint(c.minTime);
      out.putUvarint(c.maxTime - c.minTime);
      out.putUvarint(c.ref);
    } else {
      out.putUvarint(c.minTime - prevMaxT);
      out.putUvarint(c.maxTime - c.minTime);
      out.putVarint(c.ref - prevRef);
    }
    prevMaxT = c.maxTime;
    prevRef = c.ref;
  });
  return out.view();
}

/** Accumulates one section's body, spilling to the file while keeping the running CRC. */
class SectionBody {
  readonly buf = new ByteWriter(SPILL_BYTES + 64 * 1024);
  crc = 0;
  bytes = 0;

  constructor(private readonly file: BufferedFile) {}

  async maybeSpill(): Promise<void> {
    if (this.buf.length >= SPILL_BYTES) await this.spill();
  }

  async spill(): Promise<void> {
    const view = this.buf.view();
    this.crc = crc32cOf(view, this.crc);
    this.bytes += view.length;
    await this.file.write(view);
    this.buf.reset();
  }
}

async function writeIndexFile(file: BufferedFile, plan: IndexPlan): Promise<IndexToc> {
  const w = new ByteWriter(64);
  w.putBe32(INDEX_MAGIC);
  w.putByte(INDEX_FORMAT_V2);
  await file.write(w.view());

  const symbolsAt = file.position;
  await writeSymbols(file, plan.symbols);

  const seriesAt = file.position;
  const seriesRefs = await writeSeries(file, plan);

  const labelIndicesAt = file.position;
  const labelIndexOffsets = await writeLabelIndices(file, plan);

  const postingsAt = file.position;
  const postingOffsets = await writePostings(file, plan, seriesRefs);

  const labelIndicesTableAt = file.position;
  await writeLabelIndicesTable(file, plan, labelIndexOffsets);

  const postingsTableAt = file.position;
  await writePostingsTable(file, plan, postingOffsets);

  const toc: IndexToc = {
    symbols: symbolsAt,
    series: seriesAt,
    labelIndices: labelIndicesAt,
    labelIndicesTable: labelIndicesTableAt,
    postings: postingsAt,
    postingsTable: postingsTableAt,
  };
  w.reset();
  for (const off of [symbolsAt, seriesAt, labelIndicesAt, labelIndicesTableAt, postingsAt, postingsTableAt]) {
    w.putBe64(off);
  }
  w.putBe32(crc32cOf(w.view()));
  await file.write(w.view());
  return toc;
}

/** `len be32 | count be32 | (uvarint len, utf-8)* | crc`; len and CRC cover count + strings. */
async function writeSymbols(file: BufferedFile, symbols: readonly string[]): Promise<void> {
  let len = 4;
  for (const s of symbols) {
    const n = Buffer.byteLength(s, 'utf8');
    len += uvarintSize(n) + n;
  }
  if (len > MAX_SECTION_BYTES) {
    throw new InvalidLabelsError(`the symbol table would take ${len} bytes, more than an index can hold (4 GiB); split the block`);
  }
  const head = new ByteWriter(8);
  head.putBe32(len);
  await file.write(head.view());
  const body = new SectionBody(file);
  body.buf.putBe32(symbols.length);
  for (const s of symbols) {
    body.buf.putUvarintString(s);
    await body.maybeSpill();
  }
  await body.spill();
  head.reset();
  head.putBe32(body.crc);
  await file.write(head.view());
}

/** Returns each series' reference (offset/16), indexed by index order. */
async function writeSeries(file: BufferedFile, plan: IndexPlan): Promise<Uint32Array> {
  const refs = new Uint32Array(plan.seriesOrder.length);
  const entry = new ByteWriter(4096);
  const out = new ByteWriter(256);
  for (let i = 0; i < plan.seriesOrder.length; i++) {
    const s = plan.seriesOrder[i]!;
    await file.padTo(16);
    if (file.position >= MAX_SERIES_SECTION_END) {
      throw new InvalidLabelsError('the series section outgrew the 64 GiB an index can address; split the block');
    }
    refs[i] = file.position / 16;
    entry.reset();
    const p0 = plan.pairStart[s]!;
    const p1 = plan.pairStart[s + 1]!;
    entry.putUvarint(p1 - p0);
    for (let k = p0; k < p1; k++) {
      const rank = plan.seriesRanks[k]!;
      entry.putUvarint(plan.rankName[rank]!);
      entry.putUvarint(plan.rankValue[rank]!);
    }
    entry.putBytes(plan.metaArena.slice(plan.metaStart[s]!, plan.metaStart[s + 1]!));
    out.reset();
    out.putUvarint(entry.length);
    await file.write(out.view());
    await file.write(entry.view());
    out.reset();
    out.putBe32(crc32cOf(entry.view()));
    await file.write(out.view());
  }
  return refs;
}

/** Distinct label names in order, each with its first and past-last pair rank. */
function* nameGroups(plan: IndexPlan): Generator<{ name: number; from: number; to: number }> {
  const n = plan.rankName.length;
  let from = 0;
  while (from < n) {
    const name = plan.rankName[from]!;
    let to = from + 1;
    while (to < n && plan.rankName[to] === name) to++;
    yield { name, from, to };
    from = to;
  }
}

/** Legacy per-name value lists; Prometheus 2.42 still writes them, so we do too. */
async function writeLabelIndices(file: BufferedFile, plan: IndexPlan): Promise<number[]> {
  const offsets: number[] = [];
  const w = new ByteWriter(4096);
  for (const g of nameGroups(plan)) {
    await file.padTo(4);
    offsets.push(file.position);
    const count = g.to - g.from;
    w.reset();
    w.putBe32(8 + 4 * count);
    w.putBe32(1);
    w.putBe32(count);
    for (let r = g.from; r < g.to; r++) w.putBe32(plan.rankValue[r]!);
    w.putBe32(crc32cOf(w.view().subarray(4)));
    await file.write(w.view());
  }
  return offsets;
}

/**
 * Postings lists, each 4-byte aligned: `len be32 | count be32 | series ref be32 * count | crc`.
 * The all-series list (key "", "") comes first. Returns offsets: [all, ...per pair rank].
 */
async function writePostings(file: BufferedFile, plan: IndexPlan, seriesRefs: Uint32Array): Promise<Float64Array> {
  const numPairs = plan.rankName.length;
  // Counting sort: walking series in index order fills every list already ascending.
  const start = new Float64Array(numPairs + 1);
  for (let r = 0; r < numPairs; r++) start[r + 1] = start[r]! + plan.rankSeries[r]!;
  const fill = start.slice(0, numPairs);
  const lists = new Uint32Array(start[numPairs]!);
  for (let i = 0; i < plan.seriesOrder.length; i++) {
    const s = plan.seriesOrder[i]!;
    for (let k = plan.pairStart[s]!; k < plan.pairStart[s + 1]!; k++) {
      const rank = plan.seriesRanks[k]!;
      const at = fill[rank]!;
      lists[at] = seriesRefs[i]!;
      fill[rank] = at + 1;
    }
  }

  const offsets = new Float64Array(numPairs + 1);
  const w = new ByteWriter(64 * 1024);
  const writeList = async (refs: Uint32Array): Promise<number> => {
    await file.padTo(4);
    const at = file.position;
    w.reset();
    w.putBe32(4 + 4 * refs.length);
    w.putBe32(refs.length);
    for (let i = 0; i < refs.length; i++) w.putBe32(refs[i]!);
    w.putBe32(crc32cOf(w.view().subarray(4)));
    await file.write(w.view());
    return at;
  };
  offsets[0] = await writeList(seriesRefs);
  for (let r = 0; r < numPairs; r++) {
    offsets[r + 1] = await writeList(lists.subarray(start[r]!, start[r + 1]!));
  }
  return offsets;
}

async function writeLabelIndicesTable(file: BufferedFile, plan: IndexPlan, offsets: readonly number[]): Promise<void> {
  const body = new ByteWriter(4096);
  body.putBe32(offsets.length);
  let i = 0;
  for (const g of nameGroups(plan)) {
    body.putUvarint(1);
    body.putUvarintString(plan.symbols[g.name]!);
    body.putUvarint(offsets[i++]!);
  }
  await writeLengthPrefixed(file, body);
}

async function writePostingsTable(file: BufferedFile, plan: IndexPlan, offsets: Float64Array): Promise<void> {
  const body = new ByteWriter(64 * 1024);
  const numPairs = plan.rankName.length;
  body.putBe32(numPairs + 1);
  body.putUvarint(2);
  body.putUvarintString('');
  body.putUvarintString('');
  body.putUvarint(offsets[0]!);
  for (let r = 0; r < numPairs; r++) {
    body.putUvarint(2);
    body.putUvarintString(plan.symbols[plan.rankName[r]!]!);
    body.putUvarintString(plan.symbols[plan.rankValue[r]!]!);
    body.putUvarint(offsets[r + 1]!);
  }
  await writeLengthPrefixed(file, body);
}

/** `len be32 | body | crc(body)`. */
async function writeLengthPrefixed(file: BufferedFile, body: ByteWriter): Promise<void> {
  if (body.length > MAX_SECTION_BYTES) {
    throw new InvalidLabelsError(`an index table would take ${body.length} bytes, more than 4 GiB; split the block`);
  }
  const w = new ByteWriter(8);
  w.putBe32(body.length);
  await file.write(w.view());
  await file.write(body.view());
  w.reset();
  w.putBe32(crc32cOf(body.view()));
  await file.write(w.view());
}
