/**
 * Decodes one STREAMED_XOR_CHUNKS frame, a `prometheus.ChunkedReadResponse`, straight into label
 * pairs and chunks. protobufjs' generic decoder made a message object per chunk and a long.js
 * `Long` per int64, then every chunk was copied into a second object: in a fresh `promship once`
 * that decoding alone took longer than Prometheus took to send the whole stream (measured). This
 * walks the wire format (field numbers from proto/prometheus-remote-read.proto) once.
 *
 * It is as strict as protobufjs where protobufjs is strict (lengths past the end, over-long
 * varints, invalid UTF-8 in strings) and stricter where it is lax: a known field with the wrong
 * wire type, a nested message that overruns its parent, or a group is a decode error, since
 * Prometheus never sends any of them. Every failure is a `ReadFault` with code `Decode`.
 */
import type { Label } from '../labels.ts';
import type { Chunk } from '../series.ts';
import { ReadFault } from './errors.ts';

export interface ChunkedSeriesMessage {
  /** Label pairs in the order sent (not yet checked for order or duplicates). */
  labels: Label[];
  chunks: Chunk[];
}

export interface ChunkedResponseMessage {
  series: ChunkedSeriesMessage[];
  queryIndex: number;
}

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;
const TWO_32 = 0x1_0000_0000;
const NO_BYTES = new Uint8Array(0);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A decoding failure inside the walk; turned into a `ReadFault` naming the frame at the top. */
class WireError extends Error {}

/**
 * Keeps decoders' label strings between frames: consecutive series share most of their label
 * names and many values, so a string whose bytes equal the one at the same place in the previous
 * series is reused instead of decoded again (fewer allocations, and the symbol table then sees
 * the same string objects).
 */
export class ChunkedResponseDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Low and high 32 bits of the last varint read by `varint64`. */
  private lo = 0;
  private hi = 0;
  /** The field number of the last tag read, for `skip`. */
  private lastTagField = 0;
  private readonly cacheBuf: Uint8Array[] = [];
  private readonly cacheStart: number[] = [];
  private readonly cacheEnd: number[] = [];
  private readonly cacheStr: string[] = [];
  /** The label pairs of the previous series, by place. */
  private readonly pairs: Label[] = [];

  decode(frame: Uint8Array): ChunkedResponseMessage {
    this.buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    this.pos = 0;
    try {
      return this.response(this.buf.length);
    } catch (err) {
      if (err instanceof ReadFault) throw err;
      const why = err instanceof WireError ? err.message : String(err);
      throw new ReadFault(
        'PROMSHIP_REMOTE_READ_DECODE',
        `${frame.length} bytes do not decode as a prometheus.ChunkedReadResponse (${why} at byte ${this.pos})`,
        { cause: err },
      );
    } finally {
      this.buf = EMPTY_BUFFER;
    }
  }

  private response(end: number): ChunkedResponseMessage {
    const series: ChunkedSeriesMessage[] = [];
    let queryIndex = 0;
    while (this.pos < end) {
      const tag = this.shortVarint(15, 'tag');
      const field = (this.lastTagField = tag >>> 3);
      const wire = tag & 7;
      if (field === 1) {
        this.expectWire(wire, LEN, 'chunked_series');
        series.push(this.series(this.lengthEnd(end)));
      } else if (field === 2) {
        this.expectWire(wire, VARINT, 'query_index');
        this.varint64();
        queryIndex = this.hiSigned() * TWO_32 + this.lo;
        if (!Number.isSafeInteger(queryIndex))
          throw new WireError(`query_index ${queryIndex} is beyond the safe integer range`);
      } else {
        this.skip(wire, end);
      }
    }
    return { series, queryIndex };
  }

  private series(end: number): ChunkedSeriesMessage {
    const labels: Label[] = [];
    const chunks: Chunk[] = [];
    while (this.pos < end) {
      const tag = this.shortVarint(15, 'tag');
      const field = (this.lastTagField = tag >>> 3);
      const wire = tag & 7;
      if (field === 1) {
        this.expectWire(wire, LEN, 'labels');
        labels.push(this.label(this.lengthEnd(end), labels.length));
      } else if (field === 2) {
        this.expectWire(wire, LEN, 'chunks');
        chunks.push(this.chunk(this.lengthEnd(end)));
      } else {
        this.skip(wire, end);
      }
    }
    this.expectEnd(end);
    return { labels, chunks };
  }

  private label(end: number, index: number): Label {
    let name = '';
    let value = '';
    while (this.pos < end) {
      const tag = this.shortVarint(15, 'tag');
      const field = (this.lastTagField = tag >>> 3);
      const wire = tag & 7;
      if (field === 1) {
        this.expectWire(wire, LEN, 'label name');
        const e = this.lengthEnd(end);
        name = this.string(this.pos, e, 2 * index);
        this.pos = e;
      } else if (field === 2) {
        this.expectWire(wire, LEN, 'label value');
        const e = this.lengthEnd(end);
        value = this.string(this.pos, e, 2 * index + 1);
        this.pos = e;
      } else {
        this.skip(wire, end);
      }
    }
    this.expectEnd(end);
    // The previous series' pair at this place when both strings are the same: most pairs repeat
    // from series to series, and a pair is immutable, so it need not be allocated again.
    const prev = this.pairs[index];
    if (prev !== undefined && prev[0] === name && prev[1] === value) return prev;
    const pair: Label = [name, value];
    this.pairs[index] = pair;
    return pair;
  }

  private chunk(end: number): Chunk {
    let minTime = 0;
    let maxTime = 0;
    let encoding = 0;
    let data: Uint8Array = NO_BYTES;
    while (this.pos < end) {
      const tag = this.shortVarint(15, 'tag');
      const field = (this.lastTagField = tag >>> 3);
      const wire = tag & 7;
      if (field === 1) {
        this.expectWire(wire, VARINT, 'min_time_ms');
        minTime = this.int64();
      } else if (field === 2) {
        this.expectWire(wire, VARINT, 'max_time_ms');
        // The nearest double: an open head chunk's MaxInt64 marker must not fail the read here;
        // the block writer reads the real range from the chunk's bytes.
        maxTime = this.int64();
      } else if (field === 3) {
        this.expectWire(wire, VARINT, 'type');
        encoding = this.varint32() | 0;
      } else if (field === 4) {
        this.expectWire(wire, LEN, 'data');
        const e = this.lengthEnd(end);
        const b = this.buf;
        // A plain view, not Buffer#subarray: the same bytes without a Buffer object per chunk.
        data = e === this.pos ? NO_BYTES : new Uint8Array(b.buffer, b.byteOffset + this.pos, e - this.pos);
        this.pos = e;
      } else {
        this.skip(wire, end);
      }
    }
    this.expectEnd(end);
    return { minTime, maxTime, encoding, data };
  }

  /** The string of bytes [start, end), reusing the previous series' string at `slot` when equal. */
  private string(start: number, end: number, slot: number): string {
    const b = this.buf;
    const len = end - start;
    const cached = this.cacheBuf[slot];
    if (cached !== undefined && this.cacheEnd[slot]! - this.cacheStart[slot]! === len) {
      const cs = this.cacheStart[slot]!;
      let i = 0;
      while (i < len && cached[cs + i] === b[start + i]) i++;
      if (i === len) {
        // Point at the newest copy of the bytes so an old network buffer is not kept alive.
        this.cacheBuf[slot] = b;
        this.cacheStart[slot] = start;
        this.cacheEnd[slot] = end;
        return this.cacheStr[slot]!;
      }
    }
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (b[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    let s: string;
    if (ascii) {
      s = b.toString('latin1', start, end);
    } else {
      try {
        s = strictUtf8.decode(b.subarray(start, end));
      } catch {
        throw new WireError('a label is not valid UTF-8');
      }
    }
    this.cacheBuf[slot] = b;
    this.cacheStart[slot] = start;
    this.cacheEnd[slot] = end;
    this.cacheStr[slot] = s;
    return s;
  }

  private expectWire(wire: number, want: number, what: string): void {
    if (wire !== want) throw new WireError(`field ${what} has wire type ${wire}, not ${want}`);
  }

  private expectEnd(end: number): void {
    if (this.pos !== end) throw new WireError('a nested message overruns its length');
  }

  /** Reads a length prefix; returns where the field ends, which must lie within `parentEnd`. */
  private lengthEnd(parentEnd: number): number {
    const length = this.shortVarint(7, 'length');
    const e = this.pos + length;
    if (e > parentEnd) throw new WireError(`a field of ${length} bytes runs past the end of its message`);
    return e;
  }

  private skip(wire: number, end: number): void {
    // The tag was an unknown field's; field number 0 is no field at all.
    if (this.lastTagField === 0) throw new WireError('illegal tag: field number 0');
    let e: number;
    if (wire === VARINT) {
      this.varint64();
      return;
    } else if (wire === FIXED64) {
      e = this.pos + 8;
    } else if (wire === LEN) {
      e = this.lengthEnd(end);
    } else if (wire === FIXED32) {
      e = this.pos + 4;
    } else {
      throw new WireError(`wire type ${wire} is not used by remote read`);
    }
    if (e > end) throw new WireError('an unknown field runs past the end of its message');
    this.pos = e;
  }

  /**
   * A tag or a length: a varint of at most 5 bytes whose fifth byte is at most `maxFifth` (15
   * keeps a tag within 32 bits, 7 a length within 31), as protobufjs insists.
   */
  private shortVarint(maxFifth: number, what: string): number {
    const b = this.buf;
    let p = this.pos;
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= b.length) throw new WireError('a varint runs past the end');
      const x = b[p++]!;
      value |= (x & 0x7f) << shift;
      if (x < 0x80) {
        this.pos = p;
        return value >>> 0;
      }
    }
    if (p >= b.length) throw new WireError('a varint runs past the end');
    const x = b[p++]!;
    if (x > maxFifth) throw new WireError(`invalid ${what} encoding`);
    this.pos = p;
    return (value | (x << 28)) >>> 0;
  }

  /**
   * protobufjs' uint32: the low 32 bits of a varint of up to 10 bytes, as an unsigned number
   * (lengths and enums; an int32 enum is `| 0` of it).
   */
  private varint32(): number {
    const b = this.buf;
    let p = this.pos;
    if (p >= b.length) throw new WireError('a varint runs past the end');
    let x = b[p++]!;
    if (x < 0x80) {
      this.pos = p;
      return x;
    }
    let value = x & 0x7f;
    for (let shift = 7; shift < 35; shift += 7) {
      if (p >= b.length) throw new WireError('a varint runs past the end');
      x = b[p++]!;
      value |= (x & 0x7f) << shift;
      if (x < 0x80) {
        this.pos = p;
        return value >>> 0;
      }
    }
    // Bits past 32 are dropped, as protobufjs drops them; the varint still ends within 10 bytes.
    for (let i = 5; i < 10; i++) {
      if (p >= b.length) throw new WireError('a varint runs past the end');
      if (b[p++]! < 0x80) {
        this.pos = p;
        return value >>> 0;
      }
    }
    throw new WireError('a varint is longer than 10 bytes');
  }

  /**
   * An int64 field as the nearest double. Millisecond timestamps take 6 bytes: up to 7 bytes the
   * value is below 2^49 and summed exactly as a double; longer ones (negative or huge) go through
   * the 64-bit halves.
   */
  private int64(): number {
    const b = this.buf;
    let p = this.pos;
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (p >= b.length) throw new WireError('a varint runs past the end');
      const x = b[p++]!;
      value += (x & 0x7f) * mul;
      if (x < 0x80) {
        this.pos = p;
        return value;
      }
      mul *= 0x80;
    }
    this.varint64();
    return this.hiSigned() * TWO_32 + this.lo;
  }

  /** A varint of up to 10 bytes into `lo` and `hi` (the 64-bit two's complement halves). */
  private varint64(): void {
    const b = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= b.length) throw new WireError('a varint runs past the end');
      const x = b[p++]! & 0x7f;
      const more = b[p - 1]! >= 0x80;
      if (i < 4) {
        lo |= x << (7 * i);
      } else if (i === 4) {
        lo |= x << 28;
        hi |= x >>> 4;
      } else {
        hi |= x << (7 * i - 32);
      }
      if (!more) {
        this.pos = p;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new WireError('a varint is longer than 10 bytes');
  }

  /** The high half as a signed 32-bit number: int64 fields are two's complement. */
  private hiSigned(): number {
    return this.hi | 0;
  }
}

const EMPTY_BUFFER = Buffer.alloc(0);
