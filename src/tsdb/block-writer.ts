/**
 * Writes one Prometheus TSDB block (chunks, index, meta.json with the Thanos section) into
 * `parentDir/<ulid>.tmp` and renames it to `parentDir/<ulid>` once every file is fsynced, so a
 * directory named by a bare ULID is always complete.
 *
 * Chunks go to disk as series arrive; per series only labels (as interned ids) and encoded
 * chunk metas stay in memory; the index is sorted and written at `finish`.
 */
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ulid as newUlid } from 'ulidx';
import type { Labels } from '../labels.ts';
import { formatLabels } from '../labels.ts';
import type { Chunk } from '../series.ts';
import { ioError } from './buffered-file.ts';
import {
  ChunkSegmentWriter,
  chunkSize,
  DEFAULT_SEGMENT_MAX_BYTES,
  type WrittenSegment,
} from './chunk-segment-writer.ts';
import { BlockWriterStateError, ChunkEncodingError, ChunkOrderError, InvalidChunkError } from './errors.ts';
import { IndexWriter, type ChunkMeta, type WrittenIndex } from './index-writer.ts';
import { LabelValidator } from './label-checks.ts';
import {
  buildBlockMeta,
  CHUNKS_DIRNAME,
  INDEX_FILENAME,
  META_FILENAME,
  serializeBlockMeta,
  type BlockMeta,
} from './meta.ts';

export interface BlockWriterOptions {
  /** The block is built in parentDir/<ulid>.tmp and renamed to parentDir/<ulid> on finish. */
  parentDir: string;
  /** Block range [minTime, maxTime), ms. */
  minTime: number;
  maxTime: number;
  thanosLabels: Record<string, string>;
  /** Default: a new ULID made at the current time. */
  ulid?: string;
  /** Default 512 MiB. */
  segmentMaxBytes?: number;
  /**
   * fsync every file and directory before the rename (default true). A block built only to be
   * uploaded, in a scratch dir rebuilt from scratch after any crash, gains nothing from it.
   */
  durable?: boolean;
}

export interface WrittenFile {
  /** Relative to the block dir, `/`-separated: `chunks/000001`, `index`, `meta.json`. */
  relPath: string;
  sizeBytes: number;
}

/** A chunk segment that `finish` has completed: no byte of it changes any more. */
export interface CompletedSegment extends WrittenFile {
  /** Where the file is until `finish` settles (inside the block's temporary directory). */
  path: string;
}

export interface FinishOptions {
  /**
   * Called once every chunk segment is complete, before the index is built, with the segment
   * files. The work it returns runs while the index is built, and may read those files: `finish`
   * waits for it before the directory moves, and fails with its error if it fails (once the
   * index is built: a failure there does not stop the build). `signal` aborts when the block
   * cannot be finished, so that work can stop early.
   */
  whileIndexing?: (segments: readonly CompletedSegment[], signal: AbortSignal) => Promise<void>;
}

export interface WrittenBlock {
  ulid: string;
  dir: string;
  meta: BlockMeta;
  /** Every file of the block, sorted by path (which is also Thanos' upload order). */
  files: WrittenFile[];
}

const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const VALID_ENCODINGS = new Set([1, 2, 3]);

type State = 'open' | 'finishing' | 'finished' | 'aborted' | 'failed';

export class BlockWriter {
  private state: State = 'open';
  private readonly index: IndexWriter;
  private numSamples = 0;
  private numChunks = 0;
  /** Serialises calls so a caller that does not await cannot interleave chunk writes. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Label checks that skip strings the previous series already passed. */
  private readonly labelChecks = new LabelValidator();
  /** Chunk references of the series `tryAddSeries` is adding, reused from series to series. */
  private refs = new Float64Array(16);
  /** Calls queued or running in `serialise`; `tryAddSeries` only works while there are none. */
  private running = 0;

  private constructor(
    private readonly opts: Required<Omit<BlockWriterOptions, 'ulid'>> & { ulid: string },
    private readonly tmpDir: string,
    private readonly finalDir: string,
    private readonly chunks: ChunkSegmentWriter,
  ) {
    // Index-building state spills into the block's own tmp dir: removed with it on failure,
    // and removed by the index writer before the directory is renamed into place.
    this.index = new IndexWriter({ spillDir: tmpDir, durable: opts.durable });
  }

  static async open(opts: BlockWriterOptions): Promise<BlockWriter> {
    const { minTime, maxTime } = opts;
    if (!Number.isSafeInteger(minTime) || !Number.isSafeInteger(maxTime) || minTime >= maxTime) {
      throw new BlockWriterStateError(
        `block range [${minTime}, ${maxTime}) is not a non-empty range of integer milliseconds`,
      );
    }
    const id = opts.ulid ?? newUlid();
    if (!ULID_RE.test(id)) {
      throw new BlockWriterStateError(`block id ${JSON.stringify(id)} is not an upper-case ULID`);
    }
    const chunkWriter = ChunkSegmentWriter.open(
      join(opts.parentDir, `${id}.tmp`, CHUNKS_DIRNAME),
      opts.segmentMaxBytes ?? DEFAULT_SEGMENT_MAX_BYTES,
      opts.durable ?? true,
    );
    const finalDir = join(opts.parentDir, id);
    const tmpDir = `${finalDir}.tmp`;
    if (await exists(finalDir)) {
      throw new BlockWriterStateError(`block directory ${finalDir} already exists; use a new ULID`);
    }
    try {
      await mkdir(opts.parentDir, { recursive: true });
      // Not recursive: an existing tmp dir means another writer is using this ULID.
      await mkdir(tmpDir);
      await mkdir(join(tmpDir, CHUNKS_DIRNAME));
    } catch (err) {
      throw ioError(tmpDir, 'create', err);
    }
    return new BlockWriter(
      {
        parentDir: opts.parentDir,
        minTime,
        maxTime,
        thanosLabels: { ...opts.thanosLabels },
        ulid: id,
        segmentMaxBytes: opts.segmentMaxBytes ?? DEFAULT_SEGMENT_MAX_BYTES,
        durable: opts.durable ?? true,
      },
      tmpDir,
      finalDir,
      chunkWriter,
    );
  }

  get ulid(): string {
    return this.opts.ulid;
  }

  get numSeries(): number {
    return this.index.numSeries;
  }

  /**
   * Adds one series with chunks already cut to the block range. Invalid input is rejected with
   * a typed error before anything is written, and the writer stays usable. Series without
   * chunks are skipped. A label set given twice is reported by `finish`.
   */
  addSeries(labels: Labels, chunks: readonly Chunk[]): Promise<void> {
    return this.serialise(async () => {
      this.requireOpen('addSeries');
      this.labelChecks.check(labels);
      if (chunks.length === 0) return;
      const samples = this.checkChunks(labels, chunks);
      const metas: ChunkMeta[] = [];
      try {
        if (this.index.wantsFlush) await this.index.flush();
        for (const c of chunks) {
          let ref = this.chunks.tryWrite(c.encoding, c.data);
          if (ref < 0) ref = await this.chunks.write(c.encoding, c.data);
          metas.push({ minTime: c.minTime, maxTime: c.maxTime, ref });
        }
        this.recordSeries(labels, metas, samples);
      } catch (err) {
        this.state = 'failed';
        throw err;
      }
    });
  }

  /**
   * `addSeries` without a promise, for the common case where nothing has to wait for the disk:
   * true once the series is added; false, having done nothing, when it must go through
   * `addSeries` instead (a write buffer or segment is full, the index wants to spill, or another
   * call is still running). Invalid input throws the same typed errors as `addSeries`. Ten
   * thousand series a window made the promises and microtask turns per series a cost of their own.
   */
  tryAddSeries(labels: Labels, chunks: readonly Chunk[]): boolean {
    if (this.running > 0) return false;
    this.requireOpen('addSeries');
    this.labelChecks.check(labels);
    if (chunks.length === 0) return true;
    const samples = this.checkChunks(labels, chunks);
    let bytes = 0;
    for (let i = 0; i < chunks.length; i++) bytes += chunkSize(chunks[i]!.data.length);
    if (this.index.wantsFlush || !this.chunks.canWriteNow(bytes)) return false;
    if (this.refs.length < chunks.length) this.refs = new Float64Array(2 * chunks.length);
    const refs = this.refs;
    try {
      for (let i = 0; i < chunks.length; i++) {
        const c = chunks[i]!;
        const ref = this.chunks.tryWrite(c.encoding, c.data);
        // canWriteNow promised room for every chunk; anything else is a bug, not a full disk.
        if (ref < 0) throw new BlockWriterStateError(`chunk ${i} did not fit the write buffer it was checked against`);
        refs[i] = ref;
      }
      this.index.addSeriesRefs(labels, chunks, refs);
      this.numSamples += samples;
      this.numChunks += chunks.length;
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
    return true;
  }

  /** A series whose chunks are written: into the index, and into the block's counts. */
  private recordSeries(labels: Labels, metas: ChunkMeta[], samples: number): void {
    this.index.addSeries(labels, metas);
    this.numSamples += samples;
    this.numChunks += metas.length;
  }

  /** Validates a series' chunks; returns their sample count. */
  private checkChunks(labels: Labels, chunks: readonly Chunk[]): number {
    let samples = 0;
    let prevMax = -Infinity;
    const { minTime: blockMin, maxTime: blockMax } = this.opts;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      const data = c.data;
      // One test for the common case; the detailed checks below only name what is wrong.
      if (
        (c.encoding === 1 || c.encoding === 2 || c.encoding === 3) &&
        Number.isSafeInteger(c.minTime) &&
        Number.isSafeInteger(c.maxTime) &&
        c.minTime <= c.maxTime &&
        c.minTime >= blockMin &&
        c.maxTime < blockMax &&
        c.minTime > prevMax &&
        data instanceof Uint8Array &&
        data.length >= 2 &&
        (data[0]! | data[1]!) !== 0
      ) {
        // XOR and both histogram encodings start with a big-endian 16-bit sample count.
        samples += (data[0]! << 8) | data[1]!;
        prevMax = c.maxTime;
        continue;
      }
      this.checkChunk(labels, chunks, i);
    }
    return samples;
  }

  /** Throws the typed error for chunk `i` of a series, which `checkChunks` found invalid. */
  private checkChunk(labels: Labels, chunks: readonly Chunk[], i: number): void {
    const c = chunks[i]!;
    const where = `chunk ${i} of series ${formatLabels(labels)}`;
    if (!VALID_ENCODINGS.has(c.encoding)) {
      throw new ChunkEncodingError(
        `${where} has encoding ${c.encoding}; only 1 (XOR), 2 (histogram) and 3 (float histogram) exist`,
      );
    }
    if (!Number.isSafeInteger(c.minTime) || !Number.isSafeInteger(c.maxTime) || c.minTime > c.maxTime) {
      throw new InvalidChunkError(`${where} has an invalid time range [${c.minTime}, ${c.maxTime}]`);
    }
    if (c.minTime < this.opts.minTime || c.maxTime >= this.opts.maxTime) {
      throw new InvalidChunkError(
        `${where} spans [${c.minTime}, ${c.maxTime}] which leaves the block range [${this.opts.minTime}, ${this.opts.maxTime}); cut chunks to the window first`,
      );
    }
    if (i > 0 && c.minTime <= chunks[i - 1]!.maxTime) {
      throw new ChunkOrderError(
        `${where} starts at ${c.minTime}, not after the previous chunk's end ${chunks[i - 1]!.maxTime}; chunks must be sorted and must not overlap`,
      );
    }
    if (!(c.data instanceof Uint8Array) || c.data.length < 2) {
      throw new InvalidChunkError(`${where} has no data; every chunk holds at least its 2-byte sample count`);
    }
    throw new InvalidChunkError(`${where} holds zero samples; drop empty chunks before writing`);
  }

  /**
   * Writes the index and meta.json, fsyncs and renames the block into place. Returns null (and
   * leaves nothing on disk) when no series were added. On failure the partial block is removed.
   */
  finish(opts: FinishOptions = {}): Promise<WrittenBlock | null> {
    return this.serialise(async () => {
      this.requireOpen('finish');
      this.state = 'finishing';
      if (this.index.numSeries === 0) {
        await this.removeEverything();
        this.state = 'finished';
        return null;
      }
      try {
        const block = await this.writeRest(opts);
        this.state = 'finished';
        return block;
      } catch (err) {
        this.state = 'failed';
        await this.removeEverything();
        throw err;
      }
    });
  }

  private async writeRest(opts: FinishOptions): Promise<WrittenBlock> {
    const segments = await this.chunks.close();
    const alongside = new AbortController();
    const hook = opts.whileIndexing;
    const completed = segments.map((s) => ({
      relPath: `${CHUNKS_DIRNAME}/${s.name}`,
      path: join(this.tmpDir, CHUNKS_DIRNAME, s.name),
      sizeBytes: s.sizeBytes,
    }));
    // Settled from the start, so a failure of that work is never an unhandled rejection.
    const work =
      hook &&
      (async () => hook(completed, alongside.signal))().then(
        () => ({ failed: false as const }),
        (err: unknown) => ({ failed: true as const, err }),
      );
    let rest: { index: WrittenIndex; metaText: Buffer; meta: BlockMeta };
    try {
      rest = await this.writeIndexAndMeta(segments);
    } catch (err) {
      alongside.abort();
      await work;
      throw err;
    }
    const outcome = await work;
    if (outcome?.failed) throw outcome.err;
    const { index, metaText, meta } = rest;
    try {
      await rename(this.tmpDir, this.finalDir);
    } catch (err) {
      throw ioError(this.finalDir, 'rename into', err);
    }
    if (this.opts.durable) await fsyncPath(this.opts.parentDir);
    const files: WrittenFile[] = [
      ...completed.map((s) => ({ relPath: s.relPath, sizeBytes: s.sizeBytes })),
      { relPath: INDEX_FILENAME, sizeBytes: index.sizeBytes },
      { relPath: META_FILENAME, sizeBytes: metaText.length },
    ];
    return { ulid: this.opts.ulid, dir: this.finalDir, meta, files };
  }

  private async writeIndexAndMeta(
    segments: readonly WrittenSegment[],
  ): Promise<{ index: WrittenIndex; metaText: Buffer; meta: BlockMeta }> {
    const index = await this.index.write(join(this.tmpDir, INDEX_FILENAME));
    const meta = buildBlockMeta({
      ulid: this.opts.ulid,
      minTime: this.opts.minTime,
      maxTime: this.opts.maxTime,
      stats: { numSamples: this.numSamples, numSeries: this.index.numSeries, numChunks: this.numChunks },
      thanosLabels: this.opts.thanosLabels,
      segments,
      indexSizeBytes: index.sizeBytes,
    });
    const metaText = Buffer.from(serializeBlockMeta(meta), 'utf8');
    const metaPath = join(this.tmpDir, META_FILENAME);
    try {
      await writeFile(metaPath, metaText, { flag: 'wx' });
    } catch (err) {
      throw ioError(metaPath, 'write', err);
    }
    if (this.opts.durable) {
      await fsyncPath(metaPath);
      await fsyncPath(join(this.tmpDir, CHUNKS_DIRNAME));
      await fsyncPath(this.tmpDir);
    }
    return { index, metaText, meta };
  }

  /** Removes everything written so far. A no-op after a successful `finish` (the block is the caller's). */
  abort(): Promise<void> {
    return this.serialise(async () => {
      if (this.state === 'finished' || this.state === 'aborted') return;
      this.state = 'aborted';
      await this.removeEverything();
    });
  }

  private async removeEverything(): Promise<void> {
    await this.chunks.discard();
    await this.index.discard();
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  private requireOpen(op: string): void {
    if (this.state !== 'open') {
      throw new BlockWriterStateError(
        `${op} called on block writer ${this.opts.ulid} which is ${this.state}; open a new writer`,
      );
    }
  }

  private serialise<T>(fn: () => Promise<T>): Promise<T> {
    this.running++;
    const done = (): void => {
      this.running--;
    };
    const run = this.queue.then(fn, fn);
    this.queue = run.then(done, done);
    return run;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function fsyncPath(path: string): Promise<void> {
  try {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw ioError(path, 'fsync', err);
  }
}
