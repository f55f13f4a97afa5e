/**
 * Writes a block's `chunks/000001`, `000002`, … segment files (tsdb/docs/format/chunks.md):
 * an 8-byte header, then per chunk `uvarint len | encoding byte | data | CRC32C(encoding+data)`.
 * Chunks are streamed to disk in arrival order; the returned reference is what the index stores.
 */
import { join } from 'node:path';
import { BufferedFile } from './buffered-file.ts';
import { crc32cOf, packChunkRef, uvarintSize, writeUvarint, ByteWriter } from './encoding.ts';
import { BlockWriterStateError } from './errors.ts';

export const CHUNKS_MAGIC = 0x85bd40dd;
export const CHUNKS_FORMAT_V1 = 1;
export const SEGMENT_HEADER_BYTES = 8;
export const DEFAULT_SEGMENT_MAX_BYTES = 512 * 1024 * 1024;
/** A chunk's offset is the lower 32 bits of its reference, so no segment may grow past 4 GiB. */
const SEGMENT_MAX_BYTES_LIMIT = 0x1_0000_0000;

export function segmentFileName(segmentIndex: number): string {
  return String(segmentIndex + 1).padStart(6, '0');
}

/** Bytes one chunk of `dataBytes` takes in a segment: uvarint length, encoding byte, data, CRC32C. */
export function chunkSize(dataBytes: number): number {
  return uvarintSize(dataBytes) + 1 + dataBytes + 4;
}

export interface WrittenSegment {
  /** e.g. `000001` */
  name: string;
  sizeBytes: number;
}

export class ChunkSegmentWriter {
  private current: BufferedFile | null = null;
  private readonly segments: WrittenSegment[] = [];
  private readonly encodingCrcs: number[] = [];

  private constructor(
    private readonly dir: string,
    private readonly segmentMaxBytes: number,
    private readonly durable: boolean,
  ) {}

  /** `dir` is the block's `chunks` directory and must exist. */
  /** `durable: false` skips fsync, for scratch blocks that need not survive a crash. */
  static open(dir: string, segmentMaxBytes = DEFAULT_SEGMENT_MAX_BYTES, durable = true): ChunkSegmentWriter {
    if (
      !Number.isSafeInteger(segmentMaxBytes) ||
      segmentMaxBytes <= SEGMENT_HEADER_BYTES ||
      segmentMaxBytes > SEGMENT_MAX_BYTES_LIMIT
    ) {
      throw new BlockWriterStateError(
        `segmentMaxBytes must be an integer between ${SEGMENT_HEADER_BYTES + 1} and ${SEGMENT_MAX_BYTES_LIMIT}, got ${segmentMaxBytes}`,
      );
    }
    return new ChunkSegmentWriter(dir, segmentMaxBytes, durable);
  }

  /**
   * Whether chunks of these sizes (`chunkBytes`: the sum of `chunkSize` over them) can all be
   * appended with `tryWrite` now, without a segment cut or a flush.
   */
  canWriteNow(chunkBytes: number): boolean {
    const file = this.current;
    return file !== null && file.position + chunkBytes <= this.segmentMaxBytes && file.bufferFree >= chunkBytes;
  }

  /**
   * Appends one chunk without awaiting when it fits the current segment and write buffer;
   * returns its reference, or -1 when the caller must use `write` (segment cut or flush due).
   * The chunk is encoded straight into the file's buffer: length, encoding, bytes, CRC.
   */
  tryWrite(encoding: number, data: Uint8Array): number {
    const file = this.current;
    const len = data.length;
    const size = chunkSize(len);
    if (file === null || (file.position > SEGMENT_HEADER_BYTES && file.position + size > this.segmentMaxBytes))
      return -1;
    const position = file.position;
    let p = file.tryReserve(size);
    if (p < 0) return -1;
    const buf = file.buffer;
    p = writeUvarint(buf, p, len);
    buf[p++] = encoding;
    buf.set(data, p);
    p += len;
    buf.writeUInt32BE(crc32cOf(data, this.encodingCrc(encoding)), p);
    return packChunkRef(this.segments.length - 1, position);
  }

  /** Appends one chunk; returns its reference `(segmentIndex << 32) | offset`. */
  async write(encoding: number, data: Uint8Array): Promise<number> {
    const fast = this.tryWrite(encoding, data);
    if (fast >= 0) return fast;
    const size = chunkSize(data.length);
    let file = this.current;
    // A chunk bigger than a whole segment still gets a segment of its own, as in Prometheus.
    if (file === null || (file.position > SEGMENT_HEADER_BYTES && file.position + size > this.segmentMaxBytes)) {
      file = await this.cut();
    }
    const ref = packChunkRef(this.segments.length - 1, file.position);
    const head = new ByteWriter(16);
    head.putUvarint(data.length);
    head.putByte(encoding);
    const crc = new ByteWriter(4);
    crc.putBe32(crc32cOf(data, this.encodingCrc(encoding)));
    await file.write(head.view());
    await file.write(data);
    await file.write(crc.view());
    return ref;
  }

  /**
   * The CRC covers the encoding byte and the data; the byte's CRC state is kept per encoding
   * (a plain array: this runs once per chunk).
   */
  private encodingCrc(encoding: number): number {
    let seed = this.encodingCrcs[encoding & 0xff];
    if (seed === undefined) {
      seed = crc32cOf(Uint8Array.of(encoding));
      this.encodingCrcs[encoding & 0xff] = seed;
    }
    return seed;
  }

  private async cut(): Promise<BufferedFile> {
    await this.finishCurrent();
    const name = segmentFileName(this.segments.length);
    const file = await BufferedFile.create(join(this.dir, name));
    const header = new ByteWriter(SEGMENT_HEADER_BYTES);
    header.putBe32(CHUNKS_MAGIC);
    header.putByte(CHUNKS_FORMAT_V1);
    header.putBytes(new Uint8Array(3));
    await file.write(header.view());
    this.current = file;
    this.segments.push({ name, sizeBytes: 0 });
    return file;
  }

  private async finishCurrent(): Promise<void> {
    if (this.current === null) return;
    const size = await this.current.close({ sync: this.durable });
    this.segments[this.segments.length - 1]!.sizeBytes = size;
    this.current = null;
  }

  /** Flushes and fsyncs the last segment; returns every segment written, in order. */
  async close(): Promise<WrittenSegment[]> {
    await this.finishCurrent();
    return this.segments.map((s) => ({ ...s }));
  }

  /** Releases the open file after a failure; the caller removes the directory. */
  async discard(): Promise<void> {
    await this.current?.discard();
    this.current = null;
  }
}
