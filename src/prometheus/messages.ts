/**
 * The remote-read protobuf messages (`proto/prometheus-remote-read.proto`) loaded with protobufjs,
 * with typed views of what promship sends and receives. Requests are built with `fromObject`,
 * which maps enum names and values correctly (`create()` does not convert and has encoded a regex
 * matcher as EQ before). The SAMPLES response is decoded by `read-response-decoder.ts`.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { RemoteReadCode, ReadFault } from './errors.ts';

const PROTO_FILE = new URL('../../proto/prometheus-remote-read.proto', import.meta.url);

const root = protobuf.parse(readFileSync(PROTO_FILE, 'utf8')).root;
const ReadRequestType = root.lookupType('prometheus.ReadRequest');
const ChunkedReadResponseType = root.lookupType('prometheus.ChunkedReadResponse');

export const ResponseType = { SAMPLES: 0, STREAMED_XOR_CHUNKS: 1 } as const;
export type ResponseTypeName = keyof typeof ResponseType;

export const MatcherType = { EQ: 0, NEQ: 1, RE: 2, NRE: 3 } as const;
export type MatcherTypeName = keyof typeof MatcherType;

export interface LabelMatcher {
  type: MatcherTypeName;
  name: string;
  value: string;
}

export interface ReadRequestInit {
  /** Inclusive, ms. */
  startMs: number;
  /** Inclusive, ms. */
  endMs: number;
  matchers: readonly LabelMatcher[];
  acceptedResponseTypes: readonly ResponseTypeName[];
}

/** protobufjs yields int64 as a long.js `Long` (or a number when long.js is absent). */
export type WireInt64 = number | { low: number; high: number; unsigned: boolean };

export interface WireLabel {
  name: string;
  value: string;
}

export interface WireChunk {
  minTimeMs: WireInt64;
  maxTimeMs: WireInt64;
  type: number;
  /** A view into the frame's bytes. */
  data: Uint8Array;
}

export interface WireChunkedSeries {
  labels: WireLabel[];
  chunks: WireChunk[];
}

export interface WireChunkedReadResponse {
  chunkedSeries: WireChunkedSeries[];
  queryIndex: WireInt64;
}

export function encodeReadRequest(init: ReadRequestInit): Uint8Array {
  const message = ReadRequestType.fromObject({
    queries: [
      {
        startTimestampMs: init.startMs,
        endTimestampMs: init.endMs,
        matchers: init.matchers.map((m) => ({ type: m.type, name: m.name, value: m.value })),
      },
    ],
    acceptedResponseTypes: [...init.acceptedResponseTypes],
  });
  return ReadRequestType.encode(message).finish();
}

export function decodeChunkedReadResponse(frame: Uint8Array): WireChunkedReadResponse {
  return decode(ChunkedReadResponseType, frame, 'ChunkedReadResponse') as unknown as WireChunkedReadResponse;
}

function decode(type: protobuf.Type, bytes: Uint8Array, name: string): protobuf.Message {
  try {
    return type.decode(bytes);
  } catch (err) {
    throw new ReadFault(
      RemoteReadCode.Decode,
      `${bytes.length} bytes do not decode as a prometheus.${name} (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/** Timestamps are ms since the epoch and fit a double exactly; anything else is corrupt input. */
export function int64ToNumber(v: WireInt64): number {
  const n = int64ToNearestNumber(v);
  if (!Number.isSafeInteger(n)) {
    throw new ReadFault(RemoteReadCode.Decode, `an int64 field holds ${n}, beyond the safe integer range`);
  }
  return n;
}

/**
 * The nearest double, for chunk time ranges: Prometheus' index marks an open head chunk with
 * maxTime = MaxInt64. 2.42 and 2.48 re-encode such a chunk with its real range before sending,
 * but if a server passes the marker on, it arrives as an unsafe integer for the block writer
 * (which reads the chunk's own timestamps then) instead of failing the read.
 */
export function int64ToNearestNumber(v: WireInt64): number {
  if (typeof v === 'number') return v;
  return v.unsigned ? (v.high >>> 0) * 0x1_0000_0000 + (v.low >>> 0) : v.high * 0x1_0000_0000 + (v.low >>> 0);
}
