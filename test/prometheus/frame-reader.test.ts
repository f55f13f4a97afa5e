import t from 'tap';
import { crc32c } from '@node-rs/crc32';
import { ReadFault } from '../../src/prometheus/errors.ts';
import { readFrames } from '../../src/prometheus/frame-reader.ts';
import { frame } from '../helpers/remote-read-wire.ts';

async function* chunksOf(...parts: Uint8Array[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

async function collect(body: AsyncIterable<Uint8Array>, maxFrameBytes?: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const f of readFrames(body, maxFrameBytes === undefined ? {} : { maxFrameBytes }))
    out.push(Buffer.from(f));
  return out;
}

async function failure(body: AsyncIterable<Uint8Array>, maxFrameBytes?: number): Promise<ReadFault> {
  try {
    await collect(body, maxFrameBytes);
  } catch (err) {
    if (err instanceof ReadFault) return err;
    throw err;
  }
  throw new Error('expected the frame reader to fail');
}

const messages = [
  Buffer.from('first message'),
  Buffer.alloc(0),
  Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256)), // two-byte length
  Buffer.alloc(70_000, 7), // three-byte length
];
const stream = Buffer.concat(messages.map((m) => frame(m)));

t.test('CRC32C is Castagnoli (check value of "123456789")', async (t) => {
  t.equal(crc32c(Buffer.from('123456789')) >>> 0, 0xe3069283);
});

t.test('frames come out whole however the body is split', async (t) => {
  t.same(await collect(chunksOf(stream)), messages, 'one buffer');
  const bytewise = Array.from(stream, (b) => Uint8Array.of(b));
  t.same(await collect(chunksOf(...bytewise)), messages, 'one byte per buffer');
  for (const cut of [1, 2, 5, 17, 18, 19, 20, 21, 330, 331, 333, 1000]) {
    const parts = [stream.subarray(0, cut), stream.subarray(cut, cut + 7), stream.subarray(cut + 7)];
    t.same(await collect(chunksOf(...parts)), messages, `cut at ${cut} and ${cut + 7}`);
  }
});

t.test('a frame inside one buffer is a view, not a copy', async (t) => {
  const body = Buffer.concat([frame(Buffer.from('abc')), frame(Buffer.from('defg'))]);
  const frames: Buffer[] = [];
  for await (const f of readFrames(
    (async function* () {
      yield body;
    })(),
  ))
    frames.push(f);
  t.equal(frames.length, 2);
  t.equal(frames[0]!.buffer, body.buffer, 'shares memory with the network buffer');
  t.equal(frames[0]!.byteOffset, body.byteOffset + 5);
  t.equal(frames[1]!.toString(), 'defg');
});

t.test('a CRC mismatch fails', async (t) => {
  const bad = frame(Buffer.from('\x0a\x01payload'), { crc: 0x12345678 });
  const err = await failure(chunksOf(frame(Buffer.from('ok')), bad));
  t.equal(err.code, 'PROMSHIP_REMOTE_READ_FRAME_CRC');
  t.match(err.detail, /0x12345678/);
});

t.test('a frame larger than maxFrameBytes fails before it is buffered', async (t) => {
  const big = frame(Buffer.alloc(1025, 1));
  const err = await failure(chunksOf(big.subarray(0, 6)), 1024);
  t.equal(err.code, 'PROMSHIP_REMOTE_READ_FRAME_TOO_LARGE');
  t.match(err.detail, /1025 bytes.*1024/);
});

t.test('a body that ends inside a frame is truncated', async (t) => {
  const whole = frame(Buffer.from([0x0a, 0x02, 0x08, 0x01, 0x10, 0x05, 0x00, 0x01]));
  for (const keep of [1, 3, whole.length - 1]) {
    const err = await failure(chunksOf(frame(Buffer.from('ok')), whole.subarray(0, keep)));
    t.equal(err.code, 'PROMSHIP_REMOTE_READ_TRUNCATED', `kept ${keep} bytes`);
  }
});

t.test('binary garbage after valid frames is not taken for data', async (t) => {
  const garbage = Buffer.from([0x05, 0x00, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
  const err = await failure(chunksOf(frame(Buffer.from('ok')), garbage));
  t.equal(err.code, 'PROMSHIP_REMOTE_READ_FRAME_CRC');
});

t.test('error text where a frame should start is quoted as a stream error', async (t) => {
  const text = 'expanding series: unexpected EOF reading chunk 42 of block 01ABC\n';
  for (const parts of [
    [frame(Buffer.from('ok')), Buffer.from(text)],
    [Buffer.concat([frame(Buffer.from('ok')), Buffer.from(text.slice(0, 3))]), Buffer.from(text.slice(3))],
    [Buffer.from('oops\n')],
    [Buffer.from('ошибка чтения блока\n')],
  ]) {
    const err = await failure(chunksOf(...parts));
    t.equal(err.code, 'PROMSHIP_REMOTE_READ_STREAM_ERROR');
    t.match(err.detail, parts.length === 1 ? /oops|ошибка чтения блока/ : /expanding series: unexpected EOF/);
  }
});
