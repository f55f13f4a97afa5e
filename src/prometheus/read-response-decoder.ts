/**
 * Decodes a SAMPLES `ReadResponse` straight into `{t, v}` samples. Going through protobufjs'
 * generated decoder first made a message object and a long.js `Long` for every sample: 7.2 M
 * samples took ~9 s and >3 GB. This walks the same wire format (field numbers from
 * proto/prometheus-remote-read.proto) with protobufjs' Reader and allocates one object per sample.
 */
import protobuf from 'protobufjs/minimal.js';
import type { Sample } from '../series.ts';
import { ReadFault } from './errors.ts';
import type { WireLabel } from './read-request.ts';

export interface DecodedTimeSeries {
  labels: WireLabel[];
  samples: Sample[];
  /** Native histogram samples present (not decoded). */
  histograms: number;
}

const LEN = 2;
const tag = (field: number, wireType: number): number => (field << 3) | wireType;

/** One array of series per query result. */
export function decodeReadResponse(bytes: Uint8Array): DecodedTimeSeries[][] {
  const r = protobuf.Reader.create(bytes);
  try {
    const results: DecodedTimeSeries[][] = [];
    while (r.pos < r.len) {
      const t = r.uint32();
      if (t === tag(1, LEN)) results.push(queryResult(r, end(r)));
      else r.skipType(t & 7);
    }
    return results;
  } catch (err) {
    if (err instanceof ReadFault) throw err;
    throw new ReadFault(
      'PROMSHIP_REMOTE_READ_DECODE',
      `${bytes.length} bytes do not decode as a prometheus.ReadResponse (${(err as Error).message} at byte ${r.pos})`,
      { cause: err },
    );
  }
}

function end(r: protobuf.Reader): number {
  const length = r.uint32();
  const e = r.pos + length;
  if (e > r.len) throw new Error(`a field of ${length} bytes runs past the end`);
  return e;
}

function expectEnd(r: protobuf.Reader, e: number): void {
  if (r.pos !== e) throw new Error('a nested message overruns its length');
}

function queryResult(r: protobuf.Reader, e: number): DecodedTimeSeries[] {
  const series: DecodedTimeSeries[] = [];
  while (r.pos < e) {
    const t = r.uint32();
    if (t === tag(1, LEN)) series.push(timeSeries(r, end(r)));
    else r.skipType(t & 7);
  }
  expectEnd(r, e);
  return series;
}

function timeSeries(r: protobuf.Reader, e: number): DecodedTimeSeries {
  const out: DecodedTimeSeries = { labels: [], samples: [], histograms: 0 };
  while (r.pos < e) {
    const t = r.uint32();
    if (t === tag(2, LEN)) out.samples.push(sample(r, end(r)));
    else if (t === tag(1, LEN)) out.labels.push(label(r, end(r)));
    else if (t === tag(4, LEN)) {
      out.histograms++;
      r.skipType(LEN);
    } else r.skipType(t & 7);
  }
  expectEnd(r, e);
  return out;
}

function label(r: protobuf.Reader, e: number): WireLabel {
  let name = '';
  let value = '';
  while (r.pos < e) {
    const t = r.uint32();
    if (t === tag(1, LEN)) name = r.string();
    else if (t === tag(2, LEN)) value = r.string();
    else r.skipType(t & 7);
  }
  expectEnd(r, e);
  return { name, value };
}

function sample(r: protobuf.Reader, e: number): Sample {
  let v = 0;
  let ts = 0;
  while (r.pos < e) {
    const t = r.uint32();
    if (t === tag(1, 1)) v = r.double();
    else if (t === tag(2, 0)) ts = int64(r);
    else r.skipType(t & 7);
  }
  expectEnd(r, e);
  return { t: ts, v };
}

/** A varint int64 as a number; ms timestamps take 6 bytes, so the exact fast path covers them. */
function int64(r: protobuf.Reader): number {
  const buf = r.buf;
  const start = r.pos;
  let n = 0;
  let mul = 1;
  for (let i = 0; i < 7; i++) {
    const b = buf[r.pos++];
    if (b === undefined) throw new Error('a varint runs past the end');
    n += (b & 0x7f) * mul;
    if (b < 0x80) return n;
    mul *= 128;
  }
  // Longer than 49 bits: negative or huge. Decode exactly and insist on a safe integer.
  r.pos = start;
  let big = 0n;
  for (let i = 0; i < 10; i++) {
    const b = buf[r.pos++];
    if (b === undefined) throw new Error('a varint runs past the end');
    big |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (b < 0x80) {
      const value = Number(BigInt.asIntN(64, big));
      if (!Number.isSafeInteger(value)) throw new Error(`an int64 holds ${value}, beyond the safe integer range`);
      return value;
    }
  }
  throw new Error('a varint is longer than 10 bytes');
}
