/**
 * Writes a block's `chunks/000001`, `000002`, … segment files (tsdb/docs/format/chunks.md):
 * an 8-byte header, then per chunk `uvarint len | encoding byte | data | CRC32C(encoding+data)`.
 * Chunks are streamed to disk in arrival order; the returned reference is what the index stores.
 */
import { join } from 'node:path';
import { BufferedFile } from './buffered-file.ts';
import { crc32cOf, packChunkRef, uvarintSize, ByteWriter } from './encoding.ts';
import { BlockWriterStateError } from './errors.ts';

export const CHUNKS_MAGIC = 0x85bd40dd;
export const CHUNKS_FORMAT_V1 = 1;
export const SEGMENT_HEADER_BYTES = 8;
export const DEFAULT_SEGMENT_MAX_BYTES = 512 * 1024 * 1024;
/** A chunk's offset is the lower 32 bits of its reference, so no segment may grow past 4 GiB. */
export const SEGMENT_MAX_BYTES_LIMIT = 0x1_0000_0000;

export function segmentFileName(segmentIndex: number): string {
  return String(segmentIndex + 1).padStart(6, '0');
}

export interface WrittenSegment {
  /** e.g. `000001` */
  name: string;
  sizeBytes: number;
}

export class ChunkSegmentWriter {
  private current: BufferedFile | null = null;
  private readonly segments: WrittenSegment[] = [];
  private readonly head = new ByteWriter(16);
  private readonly crcBytes = new ByteWriter(4);
  private readonly encodingCrc = new Map<number, number>();

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
   * Appends one chunk without awaiting when it fits the current segment and write buffer;
   * returns its reference, or -1 when the caller must use `write` (segment cut or flush due).
   */
  tryWrite(encoding: number, data: Uint8Array): number {
    const file = this.current;
    const size = uvarintSize(data.length) + 1 + data.length + 4;
    if (file === null || (file.position > SEGMENT_HEADER_BYTES && file.position + size > this.segmentMaxBytes)) return -1;
    const position = file.position;
    const head = this.encodeHead(encoding, data);
    if (!file.tryAppend(head, data, this.crcBytes.view())) return -1;
    return packChunkRef(this.segments.length - 1, position);
  }

  /** Appends one chunk; returns its reference `(segmentIndex << 32) | offset`. */
  async write(encoding: number, data: Uint8Array): Promise<number> {
    const fast = this.tryWrite(encoding, data);
    if (fast >= 0) return fast;
    const size = uvarintSize(data.length) + 1 + data.length + 4;
    let file = this.current;
    // A chunk bigger than a whole segment still gets a segment of its own, as in Prometheus.
    if (file === null || (file.position > SEGMENT_HEADER_BYTES && file.position + size > this.segmentMaxBytes)) {
      file = await this.cut();
    }
    const ref = packChunkRef(this.segments.length - 1, file.position);
    const head = this.encodeHead(encoding, data);
    await file.write(head);
    await file.write(data);
    await file.write(this.crcBytes.view());
    return ref;
  }

  /** Fills `head` (uvarint length + encoding byte) and `crcBytes` for one chunk; returns the head bytes. */
  private encodeHead(encoding: number, data: Uint8Array): Uint8Array {
    this.head.reset();
    this.head.putUvarint(data.length);
    this.head.putByte(encoding);
    // The CRC covers the encoding byte and the data; the byte's CRC state is cached per encoding.
    let seed = this.encodingCrc.get(encoding);
    if (seed === undefined) {
      seed = crc32cOf(Uint8Array.of(encoding));
      this.encodingCrc.set(encoding, seed);
    }
    this.crcBytes.reset();
    this.crcBytes.putBe32(crc32cOf(data, seed));
    return this.head.view();
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
