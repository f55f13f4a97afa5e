/**
 * The floor of every benchmark: the remote-read request `promship once` sends for a window (all
 * series, streamed XOR chunks), and undici draining its answer without looking at the bytes.
 */
import { compressSync } from 'snappy';
import { request } from 'undici';
import { encodeReadRequest } from '../src/prometheus/read-request.ts';

/** The snappy-compressed ReadRequest body for every series of `window` (end exclusive). */
export function readRequestBody(window: { start: number; end: number }): Buffer {
  return compressSync(
    encodeReadRequest({
      startMs: window.start,
      endMs: window.end - 1,
      matchers: [{ type: 'RE', name: '__name__', value: '.+' }],
      acceptedResponseTypes: ['STREAMED_XOR_CHUNKS'],
    }),
  );
}

/** Sends `body` to Prometheus' remote-read endpoint and drains the answer; returns its size in bytes. */
export async function drainRemoteRead(prometheusUrl: string, body: Buffer): Promise<number> {
  const res = await request(`${prometheusUrl}/api/v1/read`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-read-version': '0.1.0',
    },
  });
  if (res.statusCode !== 200) throw new Error(`remote read answered ${res.statusCode}`);
  let bytes = 0;
  for await (const piece of res.body) bytes += (piece as Buffer).length;
  return bytes;
}
