/**
 * A response body read in flowing mode, handed out as the pieces that arrived since the last
 * turn. A paused-mode read (what `for await` over a Readable does) returns everything buffered
 * as one buffer, so whenever the reader fell behind the network, Node concatenated the waiting
 * pieces into a new allocation: at 250,000 series that copy showed in CPU profiles, and the
 * concatenated buffers in peak RSS. Here every piece is passed on as received, and the body is
 * paused once `maxQueuedBytes` wait, so a slow reader still holds back the network.
 */
import { finished, type Readable } from 'node:stream';

export async function* bodyPieces(
  body: Readable,
  maxQueuedBytes = 64 * 1024,
): AsyncGenerator<Buffer[], void, undefined> {
  let queue: Buffer[] = [];
  let queued = 0;
  // Set by the callbacks below, between the loop's turns.
  const state: { ended: boolean; failure?: { error: unknown } } = { ended: false };
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (piece: Buffer): void => {
    queue.push(piece);
    queued += piece.length;
    if (queued >= maxQueuedBytes) body.pause();
    notify();
  };
  // `finished` also reports a body destroyed before its end, as the async iterator does.
  const stopWatching = finished(body, (err) => {
    if (err) state.failure = { error: err };
    else state.ended = true;
    notify();
  });
  body.on('data', onData);
  try {
    for (;;) {
      if (state.failure !== undefined) throw state.failure.error;
      if (queue.length > 0) {
        const pieces = queue;
        queue = [];
        queued = 0;
        if (body.isPaused()) body.resume();
        yield pieces;
        continue;
      }
      if (state.ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    body.off('data', onData);
    stopWatching();
  }
}
