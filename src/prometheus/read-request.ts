/**
 * The remote-read request (`proto/prometheus-remote-read.proto`), encoded with protobufjs. It is
 * built with `fromObject`, which maps enum names and values correctly (`create()` does not convert
 * and has encoded a regex matcher as EQ before). Responses are decoded by
 * `chunked-response-decoder.ts` (streamed) and `read-response-decoder.ts` (SAMPLES); the tests
 * hold protobufjs' generic decoder as their reference (`test/helpers/protobufjs-reference.ts`).
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { PACKAGE_ROOT } from '../package-root.ts';

const PROTO_FILE = new URL('proto/prometheus-remote-read.proto', PACKAGE_ROOT);

const root = protobuf.parse(readFileSync(PROTO_FILE, 'utf8')).root;
const ReadRequestType = root.lookupType('prometheus.ReadRequest');

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
