/**
 * Scratch files of length-prefixed records (`uvarint len | bytes`), written once and read back
 * sequentially. The index writer keeps what grows with the number of series in these instead of
 * in memory, and merges sorted runs of them.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BufferedFile, ioError } from './buffered-file.ts';
import { ByteWriter } from './encoding.ts';
import { BlockWriteError } from './errors.ts';

const WRITE_BUFFER_BYTES = 1 << 20;
const READ_BUFFER_BYTES = 1 << 20;
/** Read buffers of all runs in one merge together stay under this. */
const MERGE_BUFFER_BYTES = 16 << 20;

/** Read buffer size for one of `runs` readers merged at once. */
export function mergeBufferBytes(runs: number): number {
  return Math.max(4096, Math.min(READ_BUFFER_BYTES, Math.floor(MERGE_BUFFER_BYTES / Math.max(1, runs))));
}

export class SpillWriter {
  private readonly head = new ByteWriter(16);
  records = 0;

  private constructor(private readonly file: BufferedFile) {}

  static async create(path: string, bufferBytes = WRITE_BUFFER_BYTES): Promise<SpillWriter> {
    return new SpillWriter(await BufferedFile.create(path, bufferBytes));
  }

  get path(): string {
    return this.file.path;
  }

  /** Appends a record without awaiting when it fits the buffer; false (nothing written) otherwise. */
  tryAppend(record: Uint8Array): boolean {
    this.head.reset();
    this.head.putUvarint(record.length);
    if (!this.file.tryAppend(this.head.view(), record)) return false;
    this.records++;
    return true;
  }

  async append(record: Uint8Array): Promise<void> {
    if (this.tryAppend(record)) return;
    this.head.reset();
    this.head.putUvarint(record.length);
    await this.file.write(this.head.view());
    await this.file.write(record);
    this.records++;
  }

  /** Raw bytes that already hold whole records (e.g. a batch encoded elsewhere). */
  async appendEncoded(bytes: Uint8Array, records: number): Promise<void> {
    await this.file.write(bytes);
    this.records += records;
  }

  /** Not fsynced: a scratch file is useless after a crash anyway. */
  async close(): Promise<void> {
    await this.file.close({ sync: false });
  }

  async discard(): Promise<void> {
    await this.file.discard();
  }
}

export class SpillReader {
  private buf: Buffer;
  private start = 0;
  private end = 0;
  private filePos = 0;
  private eof = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    bufferBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(bufferBytes);
  }

  static async open(path: string, bufferBytes = READ_BUFFER_BYTES): Promise<SpillReader> {
    try {
      return new SpillReader(path, await open(path, 'r'), bufferBytes);
    } catch (err) {
      throw ioError(path, 'open', err);
    }
  }

  /**
   * The next record as a view that stays valid until the next `fill`; null at the end of the
   * file; undefined when `fill` must be awaited first. Lets hot loops skip a promise per record.
   */
  tryNext(): Buffer | null | undefined {
    const found = this.tryNextRange();
    if (found === undefined) return undefined;
    return found ? this.buf.subarray(this.recordStart, this.recordEnd) : null;
  }

  /**
   * `tryNext` without a view: the next record lies at `buffer[recordStart..recordEnd)` when this
   * returns true; false at the end of the file; undefined when `fill` must be awaited first.
   * For loops over every series, where a Buffer per record was garbage of its own.
   */
  tryNextRange(): boolean | undefined {
    const buf = this.buf;
    let pos = this.start;
    let len = 0;
    let scale = 1;
    for (;;) {
      if (pos >= this.end) {
        if (!this.eof) return undefined;
        if (pos === this.start) return false;
        throw this.corrupt();
      }
      const b = buf[pos++]!;
      len += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
    }
    if (this.end - pos < len) {
      if (this.eof) throw this.corrupt();
      return undefined;
    }
    this.start = pos + len;
    this.recordStart = pos;
    this.recordEnd = pos + len;
    return true;
  }

  /** Where the record of the last `tryNextRange` lies in `buffer`. */
  recordStart = 0;
  recordEnd = 0;

  /** The read buffer that `tryNextRange`'s positions refer to; replaced by `fill`. */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Reads more of the file; views handed out before are invalid afterwards. */
  async fill(): Promise<void> {
    if (this.eof) return;
    const kept = this.end - this.start;
    if (kept === this.buf.length) {
      // A record larger than the buffer: grow it.
      const next = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
    } else if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.end);
    }
    this.start = 0;
    this.end = kept;
    try {
      const { bytesRead } = await this.fh.read(this.buf, this.end, this.buf.length - this.end, this.filePos);
      this.filePos += bytesRead;
      this.end += bytesRead;
      if (bytesRead === 0) this.eof = true;
    } catch (err) {
      throw ioError(this.path, 'read', err);
    }
  }

  /** The next record, awaiting reads as needed; null at the end. */
  async next(): Promise<Buffer | null> {
    for (;;) {
      const r = this.tryNext();
      if (r !== undefined) return r;
      await this.fill();
    }
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  private corrupt(): BlockWriteError {
    return new BlockWriteError(
      this.path,
      `scratch file ${this.path} ends inside a record; was it changed while the block was built?`,
    );
  }
}

/**
 * Merges readers whose records are each sorted by `compare` and calls `each` with every record
 * in order (equal records in reader order) and the index of the reader it came from. The record
 * passed to `each` is valid only during the call (or until the promise it returns settles).
 */
export async function mergeSorted(
  readers: readonly SpillReader[],
  compare: (a: Buffer, b: Buffer) => number,
  each: (record: Buffer, reader: number) => void | Promise<void>,
): Promise<void> {
  // A binary min-heap of reader indices, keyed by each reader's current record.
  const heads: (Buffer | null)[] = [];
  for (const r of readers) heads.push(await r.next());
  const heap: number[] = [];
  const less = (i: number, j: number): boolean => {
    const c = compare(heads[i]!, heads[j]!);
    return c < 0 || (c === 0 && i < j);
  };
  const siftDown = (k: number): void => {
    for (;;) {
      const l = 2 * k + 1;
      if (l >= heap.length) return;
      const m = l + 1 < heap.length && less(heap[l + 1]!, heap[l]!) ? l + 1 : l;
      if (!less(heap[m]!, heap[k]!)) return;
      [heap[m], heap[k]] = [heap[k]!, heap[m]!];
      k = m;
    }
  };
  heads.forEach((h, i) => {
    if (h !== null) heap.push(i);
  });
  for (let k = (heap.length >> 1) - 1; k >= 0; k--) siftDown(k);
  while (heap.length > 0) {
    const i = heap[0]!;
    // Awaited only when `each` returns a promise: a merge of many records should not pay a
    // microtask turn for each one that needs no I/O.
    const pending = each(heads[i]!, i);
    if (pending !== undefined) await pending;
    let next = readers[i]!.tryNext();
    if (next === undefined) next = await readers[i]!.next();
    heads[i] = next;
    if (next === null) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) siftDown(0);
  }
}
