/**
 * Prometheus' XOR ("Gorilla") float chunk, byte-identical to `tsdb/chunkenc/xor.go`.
 *
 * Layout: 2-byte big-endian sample count, then an MSB-first bit stream. Sample 0: signed varint
 * timestamp + the value's raw 64 bits. Sample 1: unsigned varint timestamp delta + XOR value.
 * Later samples: delta-of-delta in buckets of 0 / 14 / 17 / 20 / 64 bits + XOR value.
 *
 * Prometheus 2.x (through 2.55) leaves one extra zero byte at the end of a chunk whose last write
 * was a whole-byte write on a byte boundary (its bstream.writeByte always appended a spare byte);
 * 3.0 dropped it (prometheus#14854). Readers ignore it either way; `layout` picks which bytes to
 * produce, 2.x by default because that is what the field runs (and what promtool 2.42 writes).
 *
 * Values travel as two uint32 halves of their IEEE-754 bit pattern: a float never goes through
 * arithmetic, so NaN payloads (the stale marker is the NaN 0x7ff0000000000002, matched by exact
 * bits) survive. Timestamps are JS numbers, so they must be safe integers; BigInt is avoided
 * because it is an order of magnitude slower on this path.
 */
import type { Sample } from '../series.ts';
import { SampleOrderError, TimestampRangeError, XorChunkCapacityError, XorChunkCorruptError } from './errors.ts';

/** The header's 16-bit count caps a chunk (Prometheus 2.x silently wraps it; 3.x panics). */
export const XOR_CHUNK_MAX_SAMPLES = 0xffff;

const TWO_POW_32 = 4294967296;
/** Marks "no leading/trailing window yet", as Prometheus' appender does with 0xff. */
const NO_WINDOW = 0xff;

// Shared scratch for moving a float64 to and from its bit halves. Typed-array stores and loads
// and object fields keep bits verbatim in V8, but storing into a plain number[] with double
// elements sets the quiet bit (measured on Node 20: the stale marker 0x7ff0000000000002 became
// 0x7ff8000000000002), so values never pass through such arrays here.
const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

function trailingZeros32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export interface XorChunkEncoderOptions {
  /** Capacity hint. */
  expectedSamples?: number;
  /** Whose byte layout to reproduce: Prometheus 2.x (default) or 3.x; see the module comment. */
  layout?: XorChunkLayout;
}
export type XorChunkLayout = 'prometheus2' | 'prometheus3';

/** Appends samples one at a time; `bytes()` gives the chunk as it stands. */
export class XorChunkEncoder {
  private buf: Uint8Array;
  /** Next byte to write; bytes 0-1 hold the count, filled in by `bytes()`. */
  private pos = 2;
  /** Pending bits not yet flushed to `buf` (always fewer than 8 between calls). */
  private acc = 0;
  private accBits = 0;
  private n = 0;
  private t = 0;
  private tDelta = 0;
  private vHi = 0;
  private vLo = 0;
  private leading = NO_WINDOW;
  private trailing = 0;
  private firstT = 0;
  /** Whether Prometheus' last bstream call for the chunk so far was a whole-byte writeBits. */
  private endsWithByteWrite = false;
  private readonly spareByte: boolean;

  constructor(options: XorChunkEncoderOptions = {}) {
    this.buf = new Uint8Array(32 + Math.max(0, options.expectedSamples ?? 120) * 3);
    this.spareByte = (options.layout ?? 'prometheus2') === 'prometheus2';
  }

  /** Number of samples appended so far. */
  get count(): number {
    return this.n;
  }

  /** Timestamp of the first sample; undefined while empty. */
  get minTime(): number | undefined {
    return this.n === 0 ? undefined : this.firstT;
  }

  /** Timestamp of the last sample; undefined while empty. */
  get maxTime(): number | undefined {
    return this.n === 0 ? undefined : this.t;
  }

  append(t: number, v: number): void {
    if (!Number.isSafeInteger(t)) {
      throw new TimestampRangeError(
        `sample timestamp ${t} is not an integer number of milliseconds within ±2^53; ` +
          'pass timestamps as integer ms since the epoch',
      );
    }
    const n = this.n;
    if (n >= XOR_CHUNK_MAX_SAMPLES) {
      throw new XorChunkCapacityError(
        `an XOR chunk holds at most ${XOR_CHUNK_MAX_SAMPLES} samples; cut the series into more chunks`,
      );
    }
    // Worst case per sample: 4 + 64 dod bits + 2 + 11 + 64 value bits, or 10 + 8 bytes for the first.
    if (this.pos + 24 > this.buf.length) this.grow();

    scratchF64[0] = v;
    const vHi = scratchU32[HI]!;
    const vLo = scratchU32[LO]!;

    if (n === 0) {
      this.writeVarint(t);
      this.writeUpTo32(vHi, 32);
      this.writeUpTo32(vLo, 32);
      this.firstT = t;
      this.endsWithByteWrite = true;
    } else {
      const delta = t - this.t;
      if (!(delta > 0)) {
        throw new SampleOrderError(
          `sample timestamp ${t} is not after the previous one (${this.t}); ` +
            'samples of a series must be sorted by time without duplicates',
        );
      }
      if (!Number.isSafeInteger(delta)) {
        throw new TimestampRangeError(
          `gap of ${delta} ms between samples at ${this.t} and ${t} exceeds 2^53 ms; timestamps are out of range`,
        );
      }
      if (n === 1) {
        this.writeUvarint(delta);
      } else {
        this.writeDeltaOfDelta(delta - this.tDelta);
      }
      this.tDelta = delta;
      this.writeValue(vHi, vLo);
    }
    this.t = t;
    this.vHi = vHi;
    this.vLo = vLo;
    this.n = n + 1;
  }

  /** The chunk's bytes (a fresh copy; appending afterwards does not change it). */
  bytes(): Uint8Array {
    const spare = this.spareByte && this.endsWithByteWrite && this.accBits === 0 ? 1 : 0;
    const len = this.pos + (this.accBits > 0 ? 1 : spare);
    const out = this.buf.slice(0, len);
    if (this.accBits > 0) out[this.pos] = this.acc << (8 - this.accBits);
    out[0] = this.n >>> 8;
    out[1] = this.n & 0xff;
    return out;
  }

  private grow(): void {
    const next = new Uint8Array(this.buf.length * 2 + 32);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Writes the low `nbits` (1..24) bits of `value`, most significant first. */
  private writeBits(value: number, nbits: number): void {
    const acc = (this.acc << nbits) | (value & ((1 << nbits) - 1));
    let accBits = this.accBits + nbits;
    const buf = this.buf;
    let pos = this.pos;
    while (accBits >= 8) {
      accBits -= 8;
      buf[pos++] = acc >>> accBits;
    }
    this.pos = pos;
    this.accBits = accBits;
    this.acc = acc & ((1 << accBits) - 1);
  }

  /** Writes the low `nbits` (1..32) bits of `value`. */
  private writeUpTo32(value: number, nbits: number): void {
    if (nbits > 16) {
      this.writeBits(value >>> 16, nbits - 16);
      this.writeBits(value & 0xffff, 16);
    } else {
      this.writeBits(value, nbits);
    }
  }

  /** Writes the low `nbits` (1..64) bits of the 64-bit value (hi:lo) >>> shift. */
  private writeShifted(hi: number, lo: number, shift: number, nbits: number): void {
    let sHi: number;
    let sLo: number;
    if (shift === 0) {
      sHi = hi;
      sLo = lo;
    } else if (shift < 32) {
      sLo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
      sHi = hi >>> shift;
    } else {
      sLo = hi >>> (shift - 32);
      sHi = 0;
    }
    if (nbits > 32) {
      this.writeUpTo32(sHi, nbits - 32);
      this.writeUpTo32(sLo, 32);
    } else {
      this.writeUpTo32(sLo, nbits);
    }
  }

  /** Go's binary.PutUvarint for a safe non-negative integer. */
  private writeUvarint(x: number): void {
    while (x >= 0x80) {
      this.writeBits((x % 0x80) | 0x80, 8);
      x = Math.floor(x / 0x80);
    }
    this.writeBits(x, 8);
  }

  /**
   * Go's binary.PutVarint (zig-zag). The zig-zag value 2m+b can exceed 2^53 for safe t, so the
   * first 7-bit group is built from m and b separately and the rest is m / 64, which is exact.
   */
  private writeVarint(t: number): void {
    const m = t >= 0 ? t : -t - 1;
    const b = t >= 0 ? 0 : 1;
    const first = (m % 64) * 2 + b;
    const rest = Math.floor(m / 64);
    if (rest > 0) {
      this.writeBits(first | 0x80, 8);
      this.writeUvarint(rest);
    } else {
      this.writeBits(first, 8);
    }
  }

  /**
   * Buckets as in xor.go's bitRange: n bits hold -(2^(n-1)-1) ..= 2^(n-1) (asymmetric, so the
   * decoder can treat any value above 2^(n-1) as negative).
   */
  private writeDeltaOfDelta(dod: number): void {
    if (dod === 0) {
      this.writeBits(0, 1);
    } else if (dod >= -8191 && dod <= 8192) {
      this.writeBits((0b10 << 14) | (dod & 0x3fff), 16);
    } else if (dod >= -65535 && dod <= 65536) {
      this.writeBits((0b110 << 17) | (dod & 0x1ffff), 20);
    } else if (dod >= -524287 && dod <= 524288) {
      this.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
    } else {
      this.writeBits(0b1111, 4);
      // ToInt32/ToUint32 reduce modulo 2^32 exactly, which yields the two's complement halves.
      this.writeUpTo32(Math.floor(dod / TWO_POW_32) >>> 0, 32);
      this.writeUpTo32(dod >>> 0, 32);
    }
  }

  private writeValue(vHi: number, vLo: number): void {
    const dHi = (vHi ^ this.vHi) >>> 0;
    const dLo = (vLo ^ this.vLo) >>> 0;
    if (dHi === 0 && dLo === 0) {
      this.writeBits(0, 1);
      this.endsWithByteWrite = false;
      return;
    }
    let leading = dHi !== 0 ? Math.clz32(dHi) : 32 + Math.clz32(dLo);
    const trailing = dLo !== 0 ? trailingZeros32(dLo) : 32 + trailingZeros32(dHi);
    // Prometheus stores the leading count in 5 bits and clamps it rather than overflowing.
    if (leading >= 32) leading = 31;

    if (this.leading !== NO_WINDOW && leading >= this.leading && trailing >= this.trailing) {
      const nbits = 64 - this.leading - this.trailing;
      this.writeBits(0b10, 2);
      this.writeShifted(dHi, dLo, this.trailing, nbits);
      this.endsWithByteWrite = (nbits & 7) === 0;
      return;
    }
    this.leading = leading;
    this.trailing = trailing;
    const sigBits = 64 - leading - trailing;
    // 64 significant bits do not fit in 6 bits; Prometheus writes 0 and the reader maps it back.
    this.writeBits((0b11 << 11) | (leading << 6) | (sigBits & 0x3f), 13);
    this.writeShifted(dHi, dLo, trailing, sigBits);
    this.endsWithByteWrite = (sigBits & 7) === 0;
  }
}

/**
 * Encodes samples (strictly increasing timestamps, at most 65535) into one XOR chunk, exactly as
 * Prometheus' xorAppender would.
 */
export function encodeXorChunk(samples: readonly Sample[], layout?: XorChunkLayout): Uint8Array {
  if (samples.length > XOR_CHUNK_MAX_SAMPLES) {
    throw new XorChunkCapacityError(
      `${samples.length} samples do not fit one XOR chunk (max ${XOR_CHUNK_MAX_SAMPLES}); ` +
        'cut the series into more chunks',
    );
  }
  const enc = new XorChunkEncoder({ expectedSamples: samples.length, layout });
  for (const s of samples) enc.append(s.t, s.v);
  return enc.bytes();
}

/** The error for damaged chunk bytes; the time-range scan (`xor-chunk-time-range.ts`) raises the same. */
export function corrupt(what: string): XorChunkCorruptError {
  return new XorChunkCorruptError(
    `XOR chunk is corrupt: ${what}; the source sent damaged chunk data, re-read the window`,
  );
}

/** Reads an MSB-first bit stream with bounds checks that raise XorChunkCorruptError. */
class BitReader {
  /** The data plus zero padding, so a 3-byte window never reads past the end. */
  private readonly b: Uint8Array;
  private pos: number;
  private readonly end: number;

  constructor(data: Uint8Array, startByte: number) {
    this.b = new Uint8Array(data.length + 3);
    this.b.set(data);
    this.pos = startByte * 8;
    this.end = data.length * 8;
  }

  bit(): number {
    const p = this.pos;
    if (p >= this.end) throw corrupt('the bit stream ends before the sample count says');
    this.pos = p + 1;
    return (this.b[p >>> 3]! >>> (7 - (p & 7))) & 1;
  }

  /** Reads 1..16 bits as an unsigned number. */
  bits(nbits: number): number {
    const p = this.pos;
    if (p + nbits > this.end) throw corrupt('the bit stream ends before the sample count says');
    const i = p >>> 3;
    const b = this.b;
    const w = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    this.pos = p + nbits;
    return (w >>> (24 - (p & 7) - nbits)) & ((1 << nbits) - 1);
  }

  /** Advances past `nbits` bits without reading them. */
  skip(nbits: number): void {
    if (this.pos + nbits > this.end) throw corrupt('the bit stream ends before the sample count says');
    this.pos += nbits;
  }

  /** Reads 1..32 bits as an unsigned number. */
  upTo32(nbits: number): number {
    if (nbits <= 16) return this.bits(nbits);
    return this.bits(nbits - 16) * 0x10000 + this.bits(16);
  }

  /** Go's binary.ReadUvarint, limited to results below 2^53. */
  uvarint(): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.bits(8);
      value += (byte & 0x7f) * mul;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) throw corrupt('a varint exceeds 2^53');
        return value;
      }
      mul *= 0x80;
    }
    throw corrupt('a varint is longer than 10 bytes');
  }

  /** Go's binary.ReadVarint (zig-zag), limited to safe integers. */
  varint(): number {
    const first = this.bits(8);
    const b = first & 1;
    let m = (first & 0x7f) >>> 1;
    if (first >= 0x80) m += this.uvarint() * 64;
    const t = b === 0 ? m : -m - 1;
    if (!Number.isSafeInteger(t)) throw corrupt('the first timestamp exceeds ±2^53 ms');
    return t;
  }
}

/**
 * Walks an XOR chunk sample by sample without allocating: after `next()` returns true, `t` and
 * `value` (or the raw halves `valueHi`/`valueLo`) describe the current sample. Throws
 * XorChunkCorruptError on truncated or malformed data, including timestamps that do not strictly
 * increase. Bytes after the last sample are ignored, as Prometheus' iterator does (2.x leaves a
 * spare zero byte there).
 */
export class XorChunkIterator {
  /** Number of samples the chunk header announces. */
  readonly total: number;
  /** Timestamp of the current sample. */
  t = 0;
  valueHi = 0;
  valueLo = 0;
  private read = 0;
  private readonly r: BitReader | undefined;
  // Prometheus' iterator starts from a zero window (not 0xff), which matters only for
  // hand-made streams whose second value says "reuse the window".
  private leading = 0;
  private trailing = 0;
  private tDelta = 0;

  constructor(data: Uint8Array) {
    if (data.length < 2) throw corrupt(`${data.length} bytes cannot hold the 2-byte sample count`);
    this.total = (data[0]! << 8) | data[1]!;
    this.r = this.total === 0 ? undefined : new BitReader(data, 2);
  }

  /** The current sample's value, bit-exact. */
  get value(): number {
    scratchU32[HI] = this.valueHi;
    scratchU32[LO] = this.valueLo;
    return scratchF64[0]!;
  }

  /** Advances to the next sample; false after the last one. */
  next(): boolean {
    const i = this.read;
    if (i >= this.total) return false;
    const r = this.r!;
    if (i === 0) {
      this.t = r.varint();
      this.valueHi = r.upTo32(32);
      this.valueLo = r.upTo32(32);
      this.read = 1;
      return true;
    }
    let tDelta = this.tDelta;
    if (i === 1) {
      tDelta = r.uvarint();
      if (tDelta === 0) throw corrupt('two samples share a timestamp');
    } else if (r.bit() !== 0) {
      let dod: number;
      if (r.bit() === 0) {
        dod = r.bits(14);
        if (dod > 0x2000) dod -= 0x4000;
      } else if (r.bit() === 0) {
        dod = r.upTo32(17);
        if (dod > 0x10000) dod -= 0x20000;
      } else if (r.bit() === 0) {
        dod = r.upTo32(20);
        if (dod > 0x80000) dod -= 0x100000;
      } else {
        const hi = r.upTo32(32);
        const lo = r.upTo32(32);
        dod = (hi | 0) * TWO_POW_32 + lo;
        if (!Number.isSafeInteger(dod)) throw corrupt('a timestamp delta-of-delta exceeds 2^53');
      }
      tDelta += dod;
      if (tDelta <= 0) throw corrupt(`timestamps do not increase after ${this.t}`);
      if (!Number.isSafeInteger(tDelta)) throw corrupt('a timestamp delta exceeds 2^53 ms');
    }
    const t = this.t + tDelta;
    if (!Number.isSafeInteger(t)) throw corrupt('a timestamp exceeds 2^53 ms');
    this.t = t;
    this.tDelta = tDelta;

    if (r.bit() !== 0) {
      let leading = this.leading;
      let trailing = this.trailing;
      let sigBits: number;
      if (r.bit() === 0) {
        sigBits = 64 - leading - trailing;
      } else {
        leading = r.bits(5);
        sigBits = r.bits(6);
        if (sigBits === 0) sigBits = 64;
        trailing = 64 - leading - sigBits;
        if (trailing < 0) throw corrupt(`leading ${leading} + significant ${sigBits} bits exceed 64`);
        this.leading = leading;
        this.trailing = trailing;
      }
      let xHi: number;
      let xLo: number;
      if (sigBits > 32) {
        xHi = r.upTo32(sigBits - 32);
        xLo = r.upTo32(32);
      } else {
        xHi = 0;
        xLo = r.upTo32(sigBits);
      }
      if (trailing >= 32) {
        xHi = xLo << (trailing - 32);
        xLo = 0;
      } else if (trailing > 0) {
        xHi = (xHi << trailing) | (xLo >>> (32 - trailing));
        xLo = xLo << trailing;
      }
      this.valueHi = (this.valueHi ^ xHi) >>> 0;
      this.valueLo = (this.valueLo ^ xLo) >>> 0;
    }
    this.read = i + 1;
    return true;
  }
}

/** Decodes an XOR chunk into samples with bit-exact values; errors as for XorChunkIterator. */
export function decodeXorChunk(data: Uint8Array): Sample[] {
  const it = new XorChunkIterator(data);
  const out: Sample[] = [];
  while (it.next()) out.push({ t: it.t, v: it.value });
  return out;
}
