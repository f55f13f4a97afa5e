/**
 * Reads a block's chunk segments: single chunks by reference (CRC checked) and a sequential scan
 * of every chunk for verification. Files are read through a window cache rather than loaded
 * whole, as segments reach 512 MiB.
 */
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ByteReader, crc32cOf, unpackChunkRef } from './encoding.ts';
import { CorruptBlockError } from './errors.ts';
import { CHUNKS_FORMAT_V1, CHUNKS_MAGIC, SEGMENT_HEADER_BYTES, segmentFileName } from './chunk-segment-writer.ts';

const WINDOW_BYTES = 4 * 1024 * 1024;
/** Prometheus reads the length as at most a 32-bit uvarint (5 bytes). */
const MAX_LENGTH_FIELD = 5;

export interface RawChunk {
  offset: number;
  encoding: number;
  data: Uint8Array;
  /** Bytes taken in the segment: length field, encoding, data and CRC. */
  size: number;
}

class SegmentFile {
  private cacheStart = 0;
  private cache: Uint8Array = new Uint8Array(0);

  constructor(
    readonly name: string,
    readonly path: string,
    readonly fh: FileHandle,
    readonly size: number,
  ) {}

  /** `len` bytes at `pos` (fewer at the end of the file). */
  async bytesAt(pos: number, len: number): Promise<Uint8Array> {
    const end = Math.min(pos + len, this.size);
    if (pos >= this.cacheStart && end <= this.cacheStart + this.cache.length) {
      return this.cache.subarray(pos - this.cacheStart, end - this.cacheStart);
    }
    const want = Math.min(Math.max(end - pos, WINDOW_BYTES), this.size - pos);
    const buf = Buffer.allocUnsafe(Math.max(0, want));
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(buf, got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.cacheStart = pos;
    this.cache = buf.subarray(0, got);
    return this.cache.subarray(0, Math.min(end - pos, got));
  }
}

export class ChunkSegmentReader {
  private constructor(
    /** Shown in errors, e.g. `<ulid>/chunks`. */
    readonly label: string,
    private readonly segments: SegmentFile[],
  ) {}

  /** Opens `dir` (a block's chunks directory); segments must be named 000001… without gaps. */
  static async open(dir: string, label = dir): Promise<ChunkSegmentReader> {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      throw new CorruptBlockError(label, `cannot list the chunks directory (${(err as Error).message})`, {
        cause: err,
      });
    }
    const segments: SegmentFile[] = [];
    try {
      for (const [i, name] of names.entries()) {
        if (name !== segmentFileName(i)) {
          throw new CorruptBlockError(
            `${label}/${name}`,
            `unexpected file; segments must be named ${segmentFileName(i)} onwards without gaps`,
          );
        }
        const path = join(dir, name);
        const fh = await open(path, 'r');
        const size = (await fh.stat()).size;
        const seg = new SegmentFile(name, path, fh, size);
        segments.push(seg);
        const head = await seg.bytesAt(0, SEGMENT_HEADER_BYTES);
        const r = new ByteReader(head, (m) => new CorruptBlockError(`${label}/${name}`, m));
        if (head.length < SEGMENT_HEADER_BYTES)
          throw new CorruptBlockError(`${label}/${name}`, `shorter than the 8-byte segment header`);
        const magic = r.be32();
        if (magic !== CHUNKS_MAGIC) {
          throw new CorruptBlockError(
            `${label}/${name}`,
            `bad magic 0x${magic.toString(16)}, expected 0x${CHUNKS_MAGIC.toString(16)}`,
          );
        }
        const version = r.byte();
        if (version !== CHUNKS_FORMAT_V1)
          throw new CorruptBlockError(`${label}/${name}`, `unsupported chunks format version ${version}`);
      }
    } catch (err) {
      await Promise.all(segments.map((s) => s.fh.close().catch(() => undefined)));
      if (err instanceof CorruptBlockError) throw err;
      throw new CorruptBlockError(label, `cannot read segment (${(err as Error).message})`, { cause: err });
    }
    if (segments.length === 0) throw new CorruptBlockError(label, 'no chunk segments');
    return new ChunkSegmentReader(label, segments);
  }

  get segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  segmentSize(i: number): number {
    return this.segments[i]!.size;
  }

  /** The chunk at `ref`, CRC checked; `data` is a copy. */
  async readChunk(ref: number): Promise<RawChunk> {
    const { segmentIndex, offset } = unpackChunkRef(ref);
    const seg = this.segments[segmentIndex];
    if (seg === undefined) {
      throw new CorruptBlockError(
        this.label,
        `chunk reference ${ref} names segment ${segmentIndex + 1}, but only ${this.segments.length} exist`,
      );
    }
    const c = await this.readAt(seg, offset);
    return { ...c, data: Uint8Array.from(c.data) };
  }

  /** Every chunk of segment `i` in file order; `data` views are only valid until the next step. */
  async *scan(i: number): AsyncGenerator<RawChunk> {
    const seg = this.segments[i]!;
    let pos = SEGMENT_HEADER_BYTES;
    while (pos < seg.size) {
      const c = await this.readAt(seg, pos);
      yield c;
      pos += c.size;
    }
  }

  private async readAt(seg: SegmentFile, offset: number): Promise<RawChunk> {
    const file = `${this.label}/${seg.name}`;
    const fail = (m: string): CorruptBlockError => new CorruptBlockError(file, `chunk at offset ${offset}: ${m}`);
    if (offset < SEGMENT_HEADER_BYTES || offset >= seg.size) {
      throw fail(`offset outside the segment (${seg.size} bytes)`);
    }
    const head = await seg.bytesAt(offset, MAX_LENGTH_FIELD + 1);
    const hr = new ByteReader(head, fail);
    const len = hr.uvarint('the chunk length');
    if (hr.pos > MAX_LENGTH_FIELD) throw fail('length field longer than 5 bytes');
    const headLen = hr.pos;
    const total = headLen + 1 + len + 4;
    if (offset + total > seg.size)
      throw fail(`chunk of ${len} bytes runs past the end of the segment (truncated file?)`);
    const bytes = await seg.bytesAt(offset, total);
    if (bytes.length < total) throw fail('short read');
    const encoding = bytes[headLen]!;
    const data = bytes.subarray(headLen + 1, headLen + 1 + len);
    const r = new ByteReader(bytes, fail, headLen + 1 + len);
    const want = r.be32('the chunk CRC');
    const got = crc32cOf(bytes.subarray(headLen, headLen + 1 + len));
    if (want !== got) throw fail(`CRC32C mismatch (stored ${hex(want)}, computed ${hex(got)})`);
    return { offset, encoding, data, size: total };
  }

  async close(): Promise<void> {
    await Promise.all(this.segments.map((s) => s.fh.close().catch(() => undefined)));
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
