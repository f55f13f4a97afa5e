/**
 * Binary primitives of the TSDB file formats: Go's uvarint/varint, big-endian integers,
 * uvarint-prefixed strings and CRC32C (Castagnoli). Numbers stay JS numbers: every value in a
 * block (timestamps, offsets, chunk refs) fits in 2^53, and anything beyond is rejected instead
 * of silently rounded.
 */
import { crc32c } from '../crc32c.ts';

const TWO_32 = 0x1_0000_0000;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Below this many bytes a CRC32C is computed in JavaScript: the native call's own cost (some
 * 0.2-0.5 µs) is then more than the arithmetic. The index has tens of thousands of such small
 * pieces (series entries, postings lists of one or two series); chunks are mostly larger.
 */
const NATIVE_CRC_MIN_BYTES = 256;

/** Slicing-by-8 tables of the reflected Castagnoli polynomial 0x82F63B78. */
const CRC_TABLE = ((): Int32Array => {
  const t = new Int32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    for (let s = 1; s < 8; s++) t[s * 256 + i] = (t[(s - 1) * 256 + i]! >>> 8) ^ t[t[(s - 1) * 256 + i]! & 0xff]!;
  }
  return t;
})();

/** CRC32C of `bytes[start..end)`, continuing from `previous`; the same value as the native call. */
function crc32cJs(b: Uint8Array, start: number, end: number, previous: number): number {
  const t = CRC_TABLE;
  let crc = ~previous;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = crc ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    crc =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + b[i + 4]!]! ^
      t[512 + b[i + 5]!]! ^
      t[256 + b[i + 6]!]! ^
      t[b[i + 7]!]!;
  }
  for (; i < end; i++) crc = t[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** CRC32C of `bytes`, continuing from `previous` (the value of an earlier call) when given. */
export function crc32cOf(bytes: Uint8Array, previous?: number): number {
  if (bytes.length < NATIVE_CRC_MIN_BYTES) return crc32cJs(bytes, 0, bytes.length, previous ?? 0);
  return crc32c(bytes, previous ?? null) >>> 0;
}

/** `crc32cOf(bytes.subarray(start, end), previous)` without making the view for a small range. */
export function crc32cOfRange(bytes: Uint8Array, start: number, end: number, previous = 0): number {
  if (end - start < NATIVE_CRC_MIN_BYTES) return crc32cJs(bytes, start, end, previous);
  return crc32c(bytes.subarray(start, end), previous) >>> 0;
}

/**
 * Writes `n` (a non-negative safe integer, unchecked) as a uvarint at `buf[at]`, which must have
 * room for `uvarintSize(n)` bytes; returns the position after it.
 */
export function writeUvarint(buf: Uint8Array, at: number, n: number): number {
  let p = at;
  // Above 2^31 the bits do not fit the 32-bit operators; divide until they do.
  while (n > 0x7fffffff) {
    buf[p++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  while (n >= 0x80) {
    buf[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[p++] = n;
  return p;
}

export function uvarintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** A growable byte buffer with the encoders the index and chunk formats use. */
export class ByteWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initialCapacity = 4096) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.len;
  }

  /** The written bytes; a view that the next write may overwrite. */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  reset(): void {
    this.len = 0;
  }

  /** CRC32C of the bytes written from `start` on, continuing from `previous`. */
  crc32cFrom(start: number, previous = 0): number {
    return crc32cOfRange(this.buf, start, this.len, previous);
  }

  private reserve(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  putByte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b & 0xff;
  }

  putUvarint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`uvarint needs a non-negative safe integer, got ${n}`);
    }
    this.reserve(10);
    this.len = writeUvarint(this.buf, this.len, n);
  }

  /** Go's zig-zag varint. */
  putVarint(n: number): void {
    if (!Number.isSafeInteger(n)) throw new RangeError(`varint needs a safe integer, got ${n}`);
    if (n < 2 ** 52 && n > -(2 ** 52)) {
      this.putUvarint(n >= 0 ? n * 2 : -n * 2 - 1);
      return;
    }
    // Zig-zag doubles the magnitude, which leaves the exact-number range near 2^53.
    const b = BigInt(n);
    let z = b >= 0n ? b << 1n : (-b << 1n) - 1n;
    this.reserve(10);
    while (z >= 0x80n) {
      this.buf[this.len++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.buf[this.len++] = Number(z);
  }

  putBe32(n: number): void {
    this.reserve(4);
    this.buf.writeUInt32BE(n >>> 0, this.len);
    this.len += 4;
  }

  putBe64(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`be64 needs a non-negative safe integer, got ${n}`);
    }
    this.reserve(8);
    this.buf.writeUInt32BE(Math.floor(n / TWO_32), this.len);
    this.buf.writeUInt32BE(n % TWO_32, this.len + 4);
    this.len += 8;
  }

  putBytes(bytes: Uint8Array): void {
    const n = bytes.length;
    this.reserve(n);
    // Label strings are a few bytes: a loop beats the call into TypedArray#set for those.
    if (n <= 32) {
      const buf = this.buf;
      const at = this.len;
      for (let i = 0; i < n; i++) buf[at + i] = bytes[i]!;
    } else {
      this.buf.set(bytes, this.len);
    }
    this.len += n;
  }

  /** Everything written to `other`, without making a view of it first. */
  putWriter(other: ByteWriter): void {
    const n = other.len;
    // A series record is some tens of bytes: putRange's loop beats Buffer#copy, which makes a
    // view of a partial range before it copies.
    if (n <= 64) {
      this.putRange(other.buf, 0, n);
      return;
    }
    this.reserve(n);
    other.buf.copy(this.buf, this.len, 0, n);
    this.len += n;
  }

  /** Bytes `start`..`end` of `bytes`, without making a view of them first. */
  putRange(bytes: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.reserve(n);
    for (let i = 0; i < n; i++) this.buf[this.len + i] = bytes[start + i]!;
    this.len += n;
  }

  putUvarintString(s: string): void {
    // Label names and values are short and nearly always ASCII: copy those char by char, which
    // beats measuring and encoding them through Buffer for each one.
    const n = s.length;
    if (n < 0x80) {
      this.reserve(n + 1);
      const buf = this.buf;
      const at = this.len;
      let i = 0;
      while (i < n) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + 1 + i] = c;
        i++;
      }
      if (i === n) {
        buf[at] = n;
        this.len = at + 1 + n;
        return;
      }
    }
    const size = Buffer.byteLength(s, 'utf8');
    this.putUvarint(size);
    this.reserve(size);
    this.len += this.buf.write(s, this.len, size, 'utf8');
  }
}

/**
 * Reads the same primitives with bounds checks. Every defect (truncation, overlong varint,
 * value beyond 2^53) goes through `fail`, so callers turn hostile bytes into their own typed
 * error instead of a RangeError or a silent wrong number.
 */
export class ByteReader {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    private readonly fail: (message: string) => Error,
    start = 0,
    readonly end = bytes.length,
  ) {
    if (start < 0 || end > bytes.length || start > end) {
      throw fail(`range ${start}..${end} lies outside the ${bytes.length} bytes available`);
    }
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw this.fail(`truncated while reading ${what} at byte ${this.pos} (needs ${n}, ${this.remaining} left)`);
    }
  }

  byte(): number {
    this.need(1, 'a byte');
    return this.bytes[this.pos++]!;
  }

  uvarint(what = 'a uvarint'): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      this.need(1, what);
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (result > MAX_SAFE) throw this.fail(`${what} at byte ${this.pos} exceeds 2^53`);
        return result;
      }
      scale *= 0x80;
    }
    throw this.fail(`${what} at byte ${this.pos} is longer than 10 bytes`);
  }

  varint(what = 'a varint'): number {
    const z = this.uvarint(what);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  be32(what = 'a 32-bit integer'): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) >>> 0) + (b[p + 1]! << 16) + (b[p + 2]! << 8) + b[p + 3]!;
  }

  be64(what = 'a 64-bit integer'): number {
    const hi = this.be32(what);
    const lo = this.be32(what);
    const n = hi * TWO_32 + lo;
    if (n > MAX_SAFE) throw this.fail(`${what} at byte ${this.pos - 8} exceeds 2^53`);
    return n;
  }

  take(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number, what = 'bytes'): void {
    this.need(n, what);
    this.pos += n;
  }

  uvarintBytes(what = 'a string'): Uint8Array {
    const n = this.uvarint(`the length of ${what}`);
    return this.take(n, what);
  }

  uvarintString(what = 'a string'): string {
    return utf8.decode(this.uvarintBytes(what));
  }
}

const utf8 = new TextDecoder('utf-8');

/** Numbers of a chunk reference: segment sequence (0-based) in the upper 32 bits, byte offset in the lower. */
export function packChunkRef(segmentIndex: number, offset: number): number {
  return segmentIndex * TWO_32 + offset;
}

export function unpackChunkRef(ref: number): { segmentIndex: number; offset: number } {
  return { segmentIndex: Math.floor(ref / TWO_32), offset: ref % TWO_32 };
}
