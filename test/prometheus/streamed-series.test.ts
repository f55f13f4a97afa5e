/**
 * Turning decoded frames into series: consecutive frames of one series are joined (but not twins
 * whose chunks start over), labels are sorted Go's way, corrupt label sets are refused, chunk
 * times pass through.
 */
import t from 'tap';
import { seriesFromFrames, StreamedSeries } from '../../src/prometheus/streamed-series.ts';
import type { SeriesChunks } from '../../src/series.ts';
import { chunkedReadResponse, frame, type HandChunk, type HandSeries } from '../helpers/remote-read-wire.ts';
import { seriesOfPieces } from '../helpers/streamed-pieces.ts';

async function series(...frames: HandSeries[][]): Promise<SeriesChunks[]> {
  const out: SeriesChunks[] = [];
  async function* source(): AsyncGenerator<Uint8Array> {
    for (const f of frames) yield chunkedReadResponse(f);
  }
  for await (const s of seriesFromFrames(source())) out.push(s);
  return out;
}

const chunk = (minTime: number, byte: number): HandChunk => ({
  minTime,
  maxTime: minTime + 10,
  type: 1,
  data: Uint8Array.of(0, 1, byte),
});
const up: [string, string][] = [
  ['__name__', 'up'],
  ['job', 'a'],
];
const down: [string, string][] = [
  ['__name__', 'up'],
  ['job', 'b'],
];

t.test('a series over consecutive frames comes out once, chunks in order', async (t) => {
  const got = await series(
    [{ labels: up, chunks: [chunk(0, 1)] }],
    [{ labels: up, chunks: [chunk(20, 2), chunk(40, 3)] }],
    [
      { labels: down, chunks: [chunk(0, 4)] },
      { labels: [['__name__', 'z']], chunks: [chunk(5, 5)] },
    ],
    [{ labels: [['__name__', 'z']], chunks: [chunk(25, 6)] }],
  );
  t.same(
    got.map((s) => [s.labels, s.chunks.map((c) => [c.minTime, c.maxTime, c.encoding, c.data[2]])]),
    [
      [
        up,
        [
          [0, 10, 1, 1],
          [20, 30, 1, 2],
          [40, 50, 1, 3],
        ],
      ],
      [down, [[0, 10, 1, 4]]],
      [
        [['__name__', 'z']],
        [
          [5, 15, 1, 5],
          [25, 35, 1, 6],
        ],
      ],
    ],
  );
});

t.test('equal labels whose chunks start over in time are twins: two series, not one', async (t) => {
  // What Prometheus sends for `up{job="a"}` beside `up{cluster="x",job="a"}` when `cluster="x"`
  // is an external label: both arrive with it, in consecutive frames.
  const got = await series(
    [{ labels: up, chunks: [chunk(0, 1), chunk(20, 2)] }],
    [{ labels: up, chunks: [chunk(0, 3)] }],
    [{ labels: up, chunks: [chunk(20, 4)] }],
    [{ labels: up, chunks: [chunk(30, 5)] }],
  );
  t.same(
    got.map((s) => [s.labels, s.chunks.map((c) => c.data[2])]),
    [
      [up, [1, 2]],
      [up, [3, 4]],
      // Starts at 30, inside the previous chunk [20, 30]: not a continuation either.
      [up, [5]],
    ],
  );
});

t.test('unsorted labels are sorted by UTF-8 bytes', async (t) => {
  const got = await series([
    {
      labels: [
        ['\u{1F600}', '1'],
        ['\uFFFD', '2'],
        ['__name__', 'x'],
      ],
      chunks: [chunk(0, 1)],
    },
  ]);
  t.same(got[0]!.labels, [
    ['__name__', 'x'],
    ['\uFFFD', '2'],
    ['\u{1F600}', '1'],
  ]);
});

t.test('a label name twice is corrupt', async (t) => {
  await t.rejects(
    series([
      {
        labels: [
          ['job', 'a'],
          ['__name__', 'x'],
          ['job', 'b'],
        ],
        chunks: [],
      },
    ]),
    {
      code: 'PROMSHIP_REMOTE_READ_DECODE',
      message: /"job" twice/,
    },
  );
});

t.test('an open-chunk marker (maxTime = MaxInt64) passes through as an unsafe integer', async (t) => {
  const got = await series([
    { labels: up, chunks: [{ minTime: 100, maxTime: 2n ** 63n - 1n, type: 1, data: Uint8Array.of(0, 1) }] },
  ]);
  t.equal(got[0]!.chunks[0]!.minTime, 100);
  t.equal(got[0]!.chunks[0]!.maxTime, 2 ** 63);
  t.notOk(Number.isSafeInteger(got[0]!.chunks[0]!.maxTime));
});

t.test('negative times survive', async (t) => {
  const got = await series([
    { labels: up, chunks: [{ minTime: -5000, maxTime: -1, type: 2, data: Uint8Array.of(0) }] },
  ]);
  t.same([got[0]!.chunks[0]!.minTime, got[0]!.chunks[0]!.maxTime, got[0]!.chunks[0]!.encoding], [-5000, -1, 2]);
});

t.test('a body cut into pieces anywhere gives the same series as its frames', async (t) => {
  const frames: HandSeries[][] = [
    [{ labels: up, chunks: [chunk(0, 1)] }],
    [
      { labels: up, chunks: [chunk(20, 2)] },
      { labels: down, chunks: [chunk(0, 3)] },
    ],
    [{ labels: down, chunks: [chunk(20, 4)] }],
    [{ labels: [['__name__', 'z']], chunks: [chunk(5, 5), chunk(25, 6)] }],
  ];
  const want = await series(...frames);
  const body = Buffer.concat(frames.map((f) => frame(chunkedReadResponse(f))));
  const view = (list: SeriesChunks[]): unknown =>
    list.map((s) => [s.labels, s.chunks.map((c) => [c.minTime, c.data[2]])]);
  for (let a = 0; a <= body.length; a += 3) {
    for (let b = a; b <= body.length; b += 5) {
      const got = seriesOfPieces([body.subarray(0, a), body.subarray(a, b), body.subarray(b)]);
      if (JSON.stringify(view(got)) !== JSON.stringify(view(want))) {
        t.fail(`cut at ${a} and ${b}: ${JSON.stringify(view(got))}`);
        return;
      }
    }
  }
  t.pass('every cut gives the same series');
  const stream = new StreamedSeries();
  stream.push(body.subarray(0, body.length - 1));
  while (stream.next() !== undefined);
  t.throws(
    () => stream.end(),
    { code: 'PROMSHIP_REMOTE_READ_TRUNCATED' },
    'a body cut inside a frame fails at the end',
  );
});
