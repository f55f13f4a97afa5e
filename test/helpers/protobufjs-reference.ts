/**
 * protobufjs' generic encoder and decoder, built from the .proto file: the reference that
 * promship's own wire code is compared with (`src/prometheus/chunked-response-decoder.ts` for a
 * streamed remote-read frame, `src/prometheus/read-request.ts` for the request). Production never
 * uses them; they live with the tests.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { ReadFault } from '../../src/prometheus/errors.ts';
import type { ReadRequestInit, WireLabel } from '../../src/prometheus/read-request.ts';

const PROTO_FILE = new URL('../../proto/prometheus-remote-read.proto', import.meta.url);
const root = protobuf.parse(readFileSync(PROTO_FILE, 'utf8')).root;
const ChunkedReadResponseType = root.lookupType('prometheus.ChunkedReadResponse');
const ReadRequestType = root.lookupType('prometheus.ReadRequest');

/**
 * The request as protobufjs' reflection encodes it. `fromObject` maps enum names to their values
 * (`create()` does not, and once encoded a regex matcher as EQ).
 */
export function encodeReadRequestReference(init: ReadRequestInit): Uint8Array {
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

/** protobufjs yields int64 as a long.js `Long` (or a number when long.js is absent). */
export type WireInt64 = number | { low: number; high: number; unsigned: boolean };

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

/** Decodes one frame's message, or throws a ReadFault with `PROMSHIP_REMOTE_READ_DECODE`. */
export function decodeChunkedReadResponse(frame: Uint8Array): WireChunkedReadResponse {
  try {
    return ChunkedReadResponseType.decode(frame) as unknown as WireChunkedReadResponse;
  } catch (err) {
    throw new ReadFault(
      'PROMSHIP_REMOTE_READ_DECODE',
      `${frame.length} bytes do not decode as a prometheus.ChunkedReadResponse (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}

/** The nearest double of an int64 (Prometheus marks an open head chunk with maxTime = MaxInt64). */
export function int64ToNearestNumber(v: WireInt64): number {
  if (typeof v === 'number') return v;
  return v.unsigned ? (v.high >>> 0) * 0x1_0000_0000 + (v.low >>> 0) : v.high * 0x1_0000_0000 + (v.low >>> 0);
}
