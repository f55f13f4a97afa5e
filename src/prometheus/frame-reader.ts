/**
 * Splits a streamed remote-read body into frames: uvarint message length, big-endian CRC32C
 * (Castagnoli) of the message, message bytes. Frames are checked and yielded as views: a frame that
 * lies inside one network buffer is not copied; one that spans buffers is copied once into a
 * buffer of its exact size. Anything that is not a valid frame fails the read; if those bytes
 * are text, they are Prometheus' own error message and are quoted.
 */
import { crc32c } from '@node-rs/crc32';
import { RemoteReadCode, ReadFault, type RemoteReadCodeValue } from './errors.ts';
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
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const fail = failWith(options.secrets ?? []);
  // Bytes of a header that a buffer boundary cut off; never more than MAX_HEADER_BYTES.
  let headerCarry: Buffer = Buffer.alloc(0);
  // A frame whose message spans buffers, being filled.
  let partial: { header: Buffer; crc: number; data: Buffer; filled: number } | undefined;
  let offset = 0; // bytes of the body consumed before the current buffer, for messages

  for await (const chunk of body) {
    const buf = asBuffer(chunk);
    let pos = 0;

    if (partial !== undefined) {
      const take = Math.min(partial.data.length - partial.filled, buf.length);
      buf.copy(partial.data, partial.filled, 0, take);
      partial.filled += take;
      pos = take;
      if (partial.filled < partial.data.length) {
        offset += buf.length;
        continue;
      }
      const done = partial;
      partial = undefined;
      checkCrc(
        done.data,
        done.crc,
        () => Buffer.concat([done.header, done.data.subarray(0, EVIDENCE_BYTES)]),
        fail,
      );
      yield done.data;
    }

    if (headerCarry.length > 0) {
      const joined = Buffer.concat([headerCarry, buf.subarray(pos, pos + MAX_HEADER_BYTES)]);
      const header = parseHeader(joined, 0, maxFrameBytes, () => joined, fail);
      if (header === 'incomplete') {
        // The joined bytes are all there is so far; `buf` was shorter than the header remainder.
        headerCarry = joined;
        offset += buf.length;
        continue;
      }
      pos += header.length - headerCarry.length;
      const headerBytes = joined.subarray(0, header.length);
      headerCarry = Buffer.alloc(0);
      if (buf.length - pos >= header.size) {
        const data = buf.subarray(pos, pos + header.size);
        checkCrc(data, header.crc, () => Buffer.concat([headerBytes, tail(buf, pos)]), fail);
        pos += header.size;
        yield data;
      } else {
        partial = startPartial(headerBytes, header, buf, pos);
        offset += buf.length;
        continue;
      }
    }

    while (pos < buf.length) {
      const start = pos;
      const header = parseHeader(buf, pos, maxFrameBytes, () => tail(buf, start), fail);
      if (header === 'incomplete') {
        headerCarry = Buffer.from(buf.subarray(pos));
        break;
      }
      pos += header.length;
      if (buf.length - pos >= header.size) {
        const data = buf.subarray(pos, pos + header.size);
        checkCrc(data, header.crc, () => tail(buf, start), fail);
        pos += header.size;
        yield data;
      } else {
        partial = startPartial(buf.subarray(start, pos), header, buf, pos);
        break;
      }
    }
    offset += buf.length;
  }

  if (partial !== undefined) {
    const evidence = Buffer.concat([partial.header, partial.data.subarray(0, partial.filled)]);
    fail(
      RemoteReadCode.Truncated,
      `the response ended inside a frame: ${partial.filled} of ${partial.data.length} message bytes arrived (after ${offset} body bytes)`,
      evidence,
    );
  }
  if (headerCarry.length > 0) {
    fail(
      RemoteReadCode.Truncated,
      `the response ended inside a frame header (${headerCarry.length} stray bytes after ${offset - headerCarry.length} body bytes)`,
      headerCarry,
    );
  }
}

type Fail = (code: RemoteReadCodeValue, detail: string, evidence: Uint8Array) => never;

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
      fail(RemoteReadCode.FrameTooLarge, 'a frame length is not a valid uvarint', evidence());
    }
  }
  if (size > maxFrameBytes) {
    fail(
      RemoteReadCode.FrameTooLarge,
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
      RemoteReadCode.FrameCrc,
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
        RemoteReadCode.StreamError,
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
