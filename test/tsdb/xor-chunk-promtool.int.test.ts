/**
 * Byte-identity with real Prometheus: promtool writes blocks from OpenMetrics input; every XOR
 * chunk it wrote must decode to exactly what `promtool tsdb dump` prints for that series, and
 * re-encode to the very same bytes.
 */
import t from 'tap';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeXorChunk, encodeXorChunk } from '../../src/tsdb/xor-chunk.ts';
import type { Sample } from '../../src/series.ts';
import { readChunkSegment } from '../helpers/chunk-segment.ts';
import { float64FromBits } from '../helpers/float-bits.ts';
import { createBlocksFromOpenMetrics, listBlockDirs, promtoolDump } from '../helpers/prometheus.ts';
import { seededRandom } from '../helpers/seeded-random.ts';
import { tempDir } from '../helpers/tmp.ts';

const T0 = 1_700_006_400_000; // 2h-aligned

/** OpenMetrics seconds that promtool's `int64(seconds * 1000)` turns back into exactly `ms`. */
function omSeconds(ms: number): string {
  const s = `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}5`;
  if (Math.trunc(Number(s) * 1000) !== ms) throw new Error(`cannot express ${ms} ms exactly`);
  return s;
}

function omValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

interface InputSeries {
  family: string;
  type: 'gauge' | 'counter';
  name: string;
  labels: string;
  samples: Sample[];
}

/** dods at and around every bucket boundary of the XOR timestamp encoding. */
const DOD_TARGETS = [1, 8191, 8192, 8193, 65535, 65536, 65537, 524287, 524288, 524289, 1_000_000];

function buildInput(): InputSeries[] {
  const rnd = seededRandom(42);
  const series: InputSeries[] = [];
  const gauge = (name: string, labels: string, samples: Sample[]): void => {
    series.push({ family: name, type: 'gauge', name, labels, samples });
  };

  gauge(
    'g_const',
    'case="const"',
    Array.from({ length: 720 }, (_, i) => ({ t: T0 + i * 15_000, v: 42 })),
  );

  let walk = 0;
  gauge(
    'g_walk',
    'case="1s"',
    Array.from({ length: 9000 }, (_, i) => {
      walk += rnd.int(-5, 5) / 4;
      return { t: T0 + i * 1000, v: walk };
    }),
  );

  const edge = [
    NaN,
    Infinity,
    -Infinity,
    0,
    -0,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
    float64FromBits(0x000fffff, 0xffffffff),
    float64FromBits(0x00100000, 0),
    1,
    0.1,
    -2.5e-300,
  ];
  gauge(
    'g_random',
    'case="bits"',
    Array.from({ length: 1500 }, (_, i) => {
      let v: number;
      const mode = rnd.int(0, 4);
      if (mode === 0) v = rnd.pick(edge);
      else if (mode === 1) {
        do v = float64FromBits(rnd.uint32(), rnd.uint32());
        while (!Number.isFinite(v));
      } else if (mode === 2) v = rnd.next() * 1000;
      else if (mode === 3) v = rnd.int(-100, 100);
      else v = i;
      return { t: T0 + i * 10_000 + rnd.int(0, 3), v };
    }),
  );

  // Deltas B, B+x, B, ... give dods x, -x; repeating with a phase shift keeps some of each pair
  // inside one chunk whatever the block boundaries are.
  const B = 600_000;
  const jitter: Sample[] = [];
  let ts = T0;
  for (let rep = 0; rep < 3; rep++) {
    for (let k = 0; k < rep; k++) jitter.push({ t: (ts += B), v: rep });
    for (const x of DOD_TARGETS) {
      jitter.push({ t: (ts += B), v: x });
      jitter.push({ t: (ts += B + x), v: -x });
      jitter.push({ t: (ts += B), v: x });
      jitter.push({ t: (ts += B - x), v: x / 7 });
      jitter.push({ t: (ts += B), v: x });
    }
  }
  gauge('g_jitter', 'case="dod"', jitter);

  // A long silence inside one block: a huge positive jump, then the old rhythm again.
  const gaps: Sample[] = [];
  for (let i = 0; i < 10; i++) gaps.push({ t: T0 + 7_200_000 + i * 1000, v: i });
  for (let i = 0; i < 10; i++) gaps.push({ t: T0 + 7_200_000 + 5_400_000 + i * 1000, v: 100 + i });
  gauge('g_gaps', 'case="gap"', gaps);

  for (let s = 0; s < 3; s++) {
    let c = rnd.int(0, 1000);
    const samples = Array.from({ length: 600 }, (_, i) => {
      c = rnd.next() < 0.02 ? rnd.int(0, 5) : c + rnd.int(0, 50) + (s === 2 ? rnd.next() : 0);
      return { t: T0 + i * 30_000 + s * 7, v: c };
    });
    series.push({ family: 'c_requests', type: 'counter', name: 'c_requests_total', labels: `pod="p${s}"`, samples });
  }
  return series;
}

function toOpenMetrics(series: readonly InputSeries[]): string {
  const lines: string[] = [];
  let family = '';
  for (const s of series) {
    if (s.family !== family) {
      lines.push(`# TYPE ${s.family} ${s.type}`);
      family = s.family;
    }
    for (const p of s.samples) lines.push(`${s.name}{${s.labels}} ${omValue(p.v)} ${omSeconds(p.t)}`);
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

function parseDumpValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const v = Number(text);
  if (Number.isNaN(v)) throw new Error(`unparseable dump value ${text}`);
  return v;
}

/** promtool dump lines grouped by series, in time order. */
function groupDump(lines: readonly string[]): Map<string, Sample[]> {
  const bySeries = new Map<string, Sample[]>();
  for (const line of lines) {
    const m = /^(\{.*\}) (\S+) (-?\d+)$/.exec(line);
    if (!m) throw new Error(`unexpected dump line: ${line}`);
    const key = m[1]!;
    let list = bySeries.get(key);
    if (!list) bySeries.set(key, (list = []));
    list.push({ t: Number(m[3]), v: parseDumpValue(m[2]!) });
  }
  return bySeries;
}

const sameValue = (a: number, b: number): boolean => (Number.isNaN(a) && Number.isNaN(b)) || Object.is(a, b);

t.test('chunks written by promtool re-encode byte-identically and decode to the dump', async (tt) => {
  const root = await tempDir(tt);
  const dataDir = join(root, 'data');
  const input = buildInput();
  await createBlocksFromOpenMetrics(toOpenMetrics(input), dataDir);
  const blocks = await listBlockDirs(dataDir);
  tt.ok(blocks.length >= 3, `promtool wrote ${blocks.length} blocks`);

  const dump = groupDump(await promtoolDump(dataDir));
  tt.equal(dump.size, input.length, 'the dump has every input series');
  const covered = new Map<string, boolean[]>([...dump].map(([k, v]) => [k, v.map(() => false)]));

  let xorChunks = 0;
  let identical = 0;
  let largest = 0;
  const dods = new Set<number>();
  for (const block of blocks) {
    const chunkDir = join(dataDir, block, 'chunks');
    for (const segment of (await readdir(chunkDir)).sort()) {
      for (const chunk of await readChunkSegment(join(chunkDir, segment))) {
        if (chunk.encoding !== 1) continue;
        xorChunks++;
        const samples = decodeXorChunk(chunk.data);
        largest = Math.max(largest, samples.length);
        const again = encodeXorChunk(samples);
        if (Buffer.compare(Buffer.from(again), Buffer.from(chunk.data)) === 0) identical++;
        else tt.fail(`chunk at ${block}/${segment}@${chunk.offset} re-encodes differently`);
        for (let i = 2; i < samples.length; i++) {
          dods.add(samples[i]!.t - 2 * samples[i - 1]!.t + samples[i - 2]!.t);
        }
        // Find the series whose dumped samples contain this chunk as a run not yet claimed.
        let matched = false;
        for (const [key, truth] of dump) {
          const start = truth.findIndex((s) => s.t === samples[0]!.t);
          if (start < 0 || start + samples.length > truth.length) continue;
          const flags = covered.get(key)!;
          const fits = samples.every(
            (s, i) => !flags[start + i] && s.t === truth[start + i]!.t && sameValue(s.v, truth[start + i]!.v),
          );
          if (!fits) continue;
          for (let i = 0; i < samples.length; i++) flags[start + i] = true;
          matched = true;
          break;
        }
        if (!matched) tt.fail(`chunk at ${block}@${chunk.offset} matches no series in the dump`);
      }
    }
  }
  tt.ok(xorChunks > 100, `${xorChunks} XOR chunks read`);
  tt.equal(identical, xorChunks, 'every chunk re-encodes to the same bytes');
  tt.equal(largest, 120, 'full 120-sample chunks are among them');
  for (const [key, flags] of covered) {
    tt.ok(flags.every(Boolean), `every dumped sample of ${key} came from exactly one chunk`);
  }
  for (const x of DOD_TARGETS) {
    tt.ok(dods.has(x) && dods.has(-x), `dods ±${x} occur inside promtool's chunks`);
  }
  tt.ok(
    [...dods].some((d) => d > 5_000_000),
    'a huge positive jump occurs inside a chunk',
  );
});
