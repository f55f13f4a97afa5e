/**
 * The hand-written ChunkedReadResponse decoder, on frames built by hand (test/helpers) and checked
 * against protobufjs' reading of the same bytes where both accept them.
 */
import t from 'tap';
import { ChunkedResponseDecoder } from '../../src/prometheus/chunked-response-decoder.ts';
import { decodeChunkedReadResponse, int64ToNearestNumber } from '../helpers/protobufjs-reference.ts';
import { chunkedReadResponse, uvarint, type HandSeries } from '../helpers/remote-read-wire.ts';

function viaProtobufjs(bytes: Uint8Array): unknown {
  const m = decodeChunkedReadResponse(bytes);
  return {
    queryIndex: int64ToNearestNumber(m.queryIndex),
    series: m.chunkedSeries.map((s) => ({
      labels: s.labels.map((l) => [l.name, l.value]),
      chunks: s.chunks.map((c) => ({
        minTime: int64ToNearestNumber(c.minTimeMs),
        maxTime: int64ToNearestNumber(c.maxTimeMs),
        encoding: c.type,
        data: [...((c.data as Uint8Array | undefined) ?? [])],
      })),
    })),
  };
}

function viaDecoder(bytes: Uint8Array, decoder = new ChunkedResponseDecoder()): unknown {
  const m = decoder.decode(bytes);
  return {
    queryIndex: m.queryIndex,
    series: m.series.map((s) => ({
      labels: s.labels.map((l) => [l[0], l[1]]),
      chunks: s.chunks.map((c) => ({
        minTime: c.minTime,
        maxTime: c.maxTime,
        encoding: c.encoding,
        data: [...c.data],
      })),
    })),
  };
}

const series: HandSeries[] = [
  {
    labels: [
      ['__name__', 'up'],
      ['job', 'a'],
      ['zone', 'é€😀'],
    ],
    chunks: [
      { minTime: 1_700_000_000_000, maxTime: 1_700_000_007_000, type: 1, data: Uint8Array.of(0, 2, 9, 9, 9) },
      { minTime: -5, maxTime: 2n ** 63n - 1n, type: 2, data: Uint8Array.of(0, 1, 7) },
      // The last 7-byte varint and the first 8-byte one.
      { minTime: 2 ** 49 - 1, maxTime: 2 ** 49, type: 1, data: Uint8Array.of(0, 1, 8) },
    ],
  },
  {
    labels: [
      ['__name__', 'up'],
      ['job', 'b'],
    ],
    chunks: [{ minTime: 0, maxTime: 0, type: 3, data: new Uint8Array(0) }],
  },
  {
    labels: [
      ['b', '1'],
      ['a', '2'],
    ],
    chunks: [],
  },
];

t.test('decodes what protobufjs decodes, int64 edges and UTF-8 included', async (t) => {
  for (const queryIndex of [0, 3]) {
    const bytes = chunkedReadResponse(series, queryIndex);
    t.same(viaDecoder(bytes), viaProtobufjs(bytes));
    t.equal((viaDecoder(bytes) as { queryIndex: number }).queryIndex, queryIndex);
  }
});

t.test('the same decoder reused over frames gives the same answers (string reuse is invisible)', async (t) => {
  const decoder = new ChunkedResponseDecoder();
  const a = chunkedReadResponse([series[0]!]);
  const b = chunkedReadResponse([
    {
      ...series[0]!,
      labels: [
        ['__name__', 'up'],
        ['job', 'a'],
        ['zone', 'x'],
      ],
    },
  ]);
  const c = chunkedReadResponse([
    {
      ...series[0]!,
      labels: [
        ['__name__', 'uq'],
        ['job', 'a'],
      ],
    },
  ]);
  for (const bytes of [a, b, a, c, b]) t.same(viaDecoder(bytes, decoder), viaProtobufjs(bytes));
});

t.test('chunk bytes are views into the frame, not copies', async (t) => {
  const bytes = Buffer.from(chunkedReadResponse([series[0]!]));
  const m = new ChunkedResponseDecoder().decode(bytes);
  const data = m.series[0]!.chunks[0]!.data;
  t.equal(data.buffer, bytes.buffer);
  t.same([...data], [0, 2, 9, 9, 9]);
});

t.test('unknown fields of every wire type are skipped', async (t) => {
  const known = chunkedReadResponse([series[1]!]);
  const unknown = Uint8Array.from([
    ...uvarint((9 << 3) | 0),
    ...uvarint(2n ** 63n),
    ...uvarint((10 << 3) | 1),
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    ...uvarint((11 << 3) | 2),
    3,
    1,
    2,
    3,
    ...uvarint((12 << 3) | 5),
    1,
    2,
    3,
    4,
  ]);
  const bytes = Uint8Array.from([...unknown, ...known, ...unknown]);
  t.same(viaDecoder(bytes), viaProtobufjs(bytes));
});

t.test('malformed messages are decode faults', async (t) => {
  const good = chunkedReadResponse([series[0]!]);
  const bad: [string, Uint8Array][] = [
    ['cut short', good.subarray(0, good.length - 3)],
    ['a known field with the wrong wire type', Uint8Array.of((1 << 3) | 0, 1)],
    ['a group', Uint8Array.of((7 << 3) | 3, (7 << 3) | 4)],
    ['field number 0', Uint8Array.of(0, 1)],
    ['a varint longer than 10 bytes', Uint8Array.of((2 << 3) | 0, ...new Array<number>(10).fill(0x80), 1)],
    ['a length past the end', Uint8Array.of((1 << 3) | 2, 50, 0)],
    [
      'invalid UTF-8 in a label',
      chunkedReadResponse([{ labels: [['a', '\u0000']], chunks: [] }]).map((b) => (b === 0 ? 0xff : b)),
    ],
    ['a query index beyond 2^53', Uint8Array.of((2 << 3) | 0, ...uvarint(2n ** 60n))],
  ];
  for (const [what, bytes] of bad) {
    t.throws(() => new ChunkedResponseDecoder().decode(bytes), { code: 'PROMSHIP_REMOTE_READ_DECODE' }, what);
  }
  t.throws(() => new ChunkedResponseDecoder().decode(bad[6]![1]), { message: /not valid UTF-8/ });
});
