/**
 * The remote-read request, encoded with protobufjs' `Writer` from the field numbers of
 * `proto/prometheus-remote-read.proto` (prompb's remote.proto and types.proto). Loading protobufjs'
 * full build to parse that file and generate an encoder at start cost every run process some 15 ms
 * for a message of three levels. Responses are decoded the same way, by
 * `chunked-response-decoder.ts` (streamed) and `read-response-decoder.ts` (SAMPLES); the tests hold
 * protobufjs' generic encoder and decoder, built from the .proto file, as their reference
 * (`test/helpers/protobufjs-reference.ts`).
 */
import protobuf from 'protobufjs/minimal.js';

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

export interface WireLabel {
  name: string;
  value: string;
}

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const tag = (field: number, wireType: number): number => (field << 3) | wireType;

/**
 * `ReadRequest{queries: [Query{start, end, matchers}], accepted_response_types}`: one query, no
 * hints. As proto3 and protobufjs' encoder do, a scalar equal to its default (0, '') is left out.
 */
export function encodeReadRequest(init: ReadRequestInit): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(tag(1, LENGTH_DELIMITED)).fork(); // ReadRequest.queries
  if (init.startMs !== 0) w.uint32(tag(1, VARINT)).int64(init.startMs); // Query.start_timestamp_ms
  if (init.endMs !== 0) w.uint32(tag(2, VARINT)).int64(init.endMs); // Query.end_timestamp_ms
  for (const m of init.matchers) {
    w.uint32(tag(3, LENGTH_DELIMITED)).fork(); // Query.matchers
    const type = MatcherType[m.type];
    if (type !== 0) w.uint32(tag(1, VARINT)).int32(type); // LabelMatcher.type
    if (m.name !== '') w.uint32(tag(2, LENGTH_DELIMITED)).string(m.name); // LabelMatcher.name
    if (m.value !== '') w.uint32(tag(3, LENGTH_DELIMITED)).string(m.value); // LabelMatcher.value
    w.ldelim();
  }
  w.ldelim();
  if (init.acceptedResponseTypes.length > 0) {
    w.uint32(tag(2, LENGTH_DELIMITED)).fork(); // ReadRequest.accepted_response_types, packed
    for (const t of init.acceptedResponseTypes) w.int32(ResponseType[t]);
    w.ldelim();
  }
  return w.finish();
}
