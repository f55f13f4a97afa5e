/**
 * Splits a streamed remote-read body into frames: uvarint message length, big-endian CRC32C
 * (Castagnoli) of the message, message bytes. Frames are checked and yielded as views: a frame that
 * lies inside one network buffer is not copied; one that spans buffers is copied once into a
 * buffer of its exact size. Anything that is not a valid frame fails the read; if those bytes
 * are text, they are Prometheus' own error message and are quoted.
 */
import { crc32c } from '../crc32c.ts';
import { ReadFault, type RemoteReadCode } from './errors.ts';
import { looksLikeText, printableExcerpt } from './text-excerpt.ts';

export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** A uvarint of a 64-bit value takes at most 10 bytes; the CRC 4 more. */
const MAX_HEADER_BYTES = 14;
/** How many bytes after a broken frame's start are kept to show the server's error text. */
const EVIDENCE_BYTES = 1024;

export interface FrameReaderOptions {
  maxFrameBytes?: number;
  /** Replaced in any server text quoted in an error (the server may echo credentials). */
  secrets?: readonly string[];
}

interface Header {
  size: number;
  crc: number;
  length: number;
}

type HeaderParse = Header | 'incomplete';

export async function* readFrames(
  body: AsyncIterable<Uint8Array>,
  options: FrameReaderOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const frames = new FrameSplitter(options);
  for await (const chunk of body) {
    frames.push(chunk);
    for (let frame = frames.next(); frame !== undefined; frame = frames.next()) yield frame;
  }
  frames.end();
}

/**
 * The frame splitting of `readFrames` without a promise per frame: `push` each piece of the
 * body, then take its frames with `next` until it returns undefined, and call `end` after the
 * last piece. A broken frame throws from the `next` call that reaches it.
 */
export class FrameSplitter {
  private readonly maxFrameBytes: number;
  private readonly fail: Fail;
  /** The body piece being split, and how far. */
  private buf: Buffer | undefined;
  private pos = 0;
  // Bytes of a header that a buffer boundary cut off; never more than MAX_HEADER_BYTES.
  private headerCarry: Buffer = Buffer.alloc(0);
  // A frame whose message spans buffers, being filled.
  private partial: { header: Buffer; crc: number; data: Buffer; filled: number } | undefined;
  private offset = 0; // bytes of the body consumed before the current buffer, for messages

  constructor(options: FrameReaderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.fail = failWith(options.secrets ?? []);
  }

  /** The next piece of the body; the previous one must have been split to the end. */
  push(chunk: Uint8Array): void {
    this.buf = asBuffer(chunk);
    this.pos = 0;
  }

  /** The next whole frame of the pushed pieces; undefined when the next piece is needed. */
  next(): Buffer | undefined {
    const buf = this.buf;
    if (buf === undefined) return undefined;
    const fail = this.fail;

    const partial = this.partial;
    if (partial !== undefined) {
      const take = Math.min(partial.data.length - partial.filled, buf.length);
      buf.copy(partial.data, partial.filled, 0, take);
      partial.filled += take;
      this.pos = take;
      if (partial.filled < partial.data.length) {
        this.pieceDone();
        return undefined;
      }
      this.partial = undefined;
      checkCrc(
        partial.data,
        partial.crc,
        () => Buffer.concat([partial.header, partial.data.subarray(0, EVIDENCE_BYTES)]),
        fail,
      );
      return partial.data;
    }

    if (this.headerCarry.length > 0) {
      const carry = this.headerCarry;
      const joined = Buffer.concat([carry, buf.subarray(this.pos, this.pos + MAX_HEADER_BYTES)]);
      const header = parseHeader(joined, 0, this.maxFrameBytes, () => joined, fail);
      if (header === 'incomplete') {
        // The joined bytes are all there is so far; `buf` was shorter than the header remainder.
        this.headerCarry = joined;
        this.pieceDone();
        return undefined;
      }
      this.pos += header.length - carry.length;
      const headerBytes = joined.subarray(0, header.length);
      this.headerCarry = Buffer.alloc(0);
      const pos = this.pos;
      if (buf.length - pos >= header.size) {
        const data = buf.subarray(pos, pos + header.size);
        checkCrc(data, header.crc, () => Buffer.concat([headerBytes, tail(buf, pos)]), fail);
        this.pos = pos + header.size;
        return data;
      }
      this.partial = startPartial(headerBytes, header, buf, pos);
      this.pieceDone();
      return undefined;
    }

    const start = this.pos;
    if (start >= buf.length) {
      this.pieceDone();
      return undefined;
    }
    const header = parseHeader(buf, start, this.maxFrameBytes, () => tail(buf, start), fail);
    if (header === 'incomplete') {
      this.headerCarry = Buffer.from(buf.subarray(start));
      this.pieceDone();
      return undefined;
    }
    const pos = start + header.length;
    if (buf.length - pos >= header.size) {
      const data = buf.subarray(pos, pos + header.size);
      checkCrc(data, header.crc, () => tail(buf, start), fail);
      this.pos = pos + header.size;
      return data;
    }
    this.partial = startPartial(buf.subarray(start, pos), header, buf, pos);
    this.pieceDone();
    return undefined;
  }

  /** After the last piece: a frame left unfinished means the body was cut. */
  end(): void {
    const partial = this.partial;
    if (partial !== undefined) {
      const evidence = Buffer.concat([partial.header, partial.data.subarray(0, partial.filled)]);
      this.fail(
        'PROMSHIP_REMOTE_READ_TRUNCATED',
        `the response ended inside a frame: ${partial.filled} of ${partial.data.length} message bytes arrived (after ${this.offset} body bytes)`,
        evidence,
      );
    }
    if (this.headerCarry.length > 0) {
      this.fail(
        'PROMSHIP_REMOTE_READ_TRUNCATED',
        `the response ended inside a frame header (${this.headerCarry.length} stray bytes after ${this.offset - this.headerCarry.length} body bytes)`,
        this.headerCarry,
      );
    }
  }

  private pieceDone(): void {
    this.offset += this.buf!.length;
    this.buf = undefined;
  }
}

type Fail = (code: RemoteReadCode, detail: string, evidence: Uint8Array) => never;

function startPartial(headerBytes: Buffer, header: Header, buf: Buffer, pos: number) {
  const data = Buffer.allocUnsafe(header.size);
  const filled = buf.copy(data, 0, pos);
  return { header: Buffer.from(headerBytes), crc: header.crc, data, filled };
}

function parseHeader(
  buf: Buffer,
  pos: number,
  maxFrameBytes: number,
  evidence: () => Uint8Array,
  fail: Fail,
): HeaderParse {
  let size = 0;
  let multiplier = 1;
  let i = pos;
  for (;;) {
    if (i >= buf.length) return 'incomplete';
    const byte = buf[i]!;
    i++;
    size += (byte & 0x7f) * multiplier;
    if (byte < 0x80) break;
    multiplier *= 128;
    if (i - pos >= 10) {
      fail('PROMSHIP_REMOTE_READ_FRAME_TOO_LARGE', 'a frame length is not a valid uvarint', evidence());
    }
  }
  if (size > maxFrameBytes) {
    fail(
      'PROMSHIP_REMOTE_READ_FRAME_TOO_LARGE',
      `a frame announces ${size} bytes, more than the limit of ${maxFrameBytes} (maxFrameBytes)`,
      evidence(),
    );
  }
  if (buf.length - i < 4) return 'incomplete';
  const crc = buf.readUInt32BE(i);
  return { size, crc, length: i + 4 - pos };
}

function checkCrc(data: Buffer, expected: number, evidence: () => Uint8Array, fail: Fail): void {
  const actual = crc32c(data) >>> 0;
  if (actual !== expected) {
    fail(
      'PROMSHIP_REMOTE_READ_FRAME_CRC',
      `a frame of ${data.length} bytes has CRC32C 0x${hex(actual)} but announces 0x${hex(expected)}`,
      evidence(),
    );
  }
}

/** Prometheus' error text takes precedence: it says what went wrong on the server. */
function failWith(secrets: readonly string[]): Fail {
  return (code, detail, evidence) => {
    const sample = evidence.subarray(0, EVIDENCE_BYTES);
    if (looksLikeText(sample)) {
      throw new ReadFault(
        'PROMSHIP_REMOTE_READ_STREAM_ERROR',
        `Prometheus aborted the stream with: "${printableExcerpt(sample, secrets)}"`,
      );
    }
    throw new ReadFault(code, detail);
  };
}

function tail(buf: Buffer, from: number): Buffer {
  return buf.subarray(from, from + EVIDENCE_BYTES);
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
