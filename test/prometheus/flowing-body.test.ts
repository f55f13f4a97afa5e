/**
 * Reading a response body piece by piece: every piece is handed on as the same buffer it arrived
 * in (never joined with others), a slow reader pauses the body once the limit waits, and an
 * error, a body destroyed before its end, or a reader that stops early all end the reading.
 */
import { Readable } from 'node:stream';
import t from 'tap';
import { bodyPieces } from '../../src/prometheus/flowing-body.ts';

const body = (): Readable => new Readable({ read() {} });
const piece = (byte: number, length = 6): Buffer => Buffer.alloc(length, byte);

t.test('pieces that arrived before the reader come out as they were pushed, not joined', async (t) => {
  const b = body();
  const sent = [piece(1), piece(2), piece(3)];
  for (const p of sent) b.push(p);
  b.push(null);
  const got: Buffer[] = [];
  for await (const pieces of bodyPieces(b)) got.push(...pieces);
  t.equal(got.length, 3);
  sent.forEach((p, i) => t.equal(got[i], p, `piece ${i} is the buffer pushed`));
});

t.test('a slow reader pauses the body once the limit waits, and resumes it when it takes them', async (t) => {
  const b = body();
  for (let i = 0; i < 5; i++) b.push(piece(i));
  b.push(null);
  const turns: number[][] = [];
  const paused: boolean[] = [];
  for await (const pieces of bodyPieces(b, 10)) {
    turns.push(pieces.map((p) => p[0]!));
    paused.push(b.isPaused());
  }
  // 6 + 6 bytes reach the limit of 10: two pieces a turn, the rest held back by the body.
  t.same(turns, [[0, 1], [2, 3], [4]]);
  t.same(paused, [false, false, false], 'resumed before each turn is handed on');
});

t.test('pieces that arrive while the reader waits are handed on at its next turn', async (t) => {
  const b = body();
  const reader = bodyPieces(b);
  const first = reader.next();
  b.push(piece(7));
  t.same(
    (await first).value?.map((p) => p[0]),
    [7],
  );
  const second = reader.next();
  b.push(piece(8));
  b.push(piece(9));
  t.same(
    (await second).value?.map((p) => p[0]),
    [8, 9],
  );
  b.push(null);
  t.same(await reader.next(), { value: undefined, done: true });
});

t.test('an error of the body fails the reading', async (t) => {
  const b = body();
  b.push(piece(1));
  const reader = bodyPieces(b);
  t.equal((await reader.next()).value?.length, 1);
  b.destroy(new Error('connection reset'));
  await t.rejects(reader.next(), { message: 'connection reset' });
});

t.test('a body destroyed before its end fails the reading instead of ending it', async (t) => {
  const b = body();
  b.push(piece(1));
  const reader = bodyPieces(b);
  await reader.next();
  b.destroy();
  await t.rejects(reader.next(), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
});

t.test('a reader that stops early leaves no listener on the body', async (t) => {
  const b = body();
  const before = b.listenerCount('data');
  b.push(piece(1));
  b.push(piece(2));
  for await (const pieces of bodyPieces(b, 1)) {
    t.equal(pieces.length, 1);
    break;
  }
  t.equal(b.listenerCount('data'), before);
  t.equal(b.listenerCount('end'), 0, 'the end watcher is gone too');
});
