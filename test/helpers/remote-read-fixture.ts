/**
 * Known data for remote-read tests: 6 h of gauges in three 2 h blocks (made by promtool), served
 * by real Prometheus with external label cluster_id="c1", and `promtool tsdb dump` of the same
 * blocks as the independent truth. The series are chosen to exercise label ordering (a bare name
 * next to the same name with labels, a series' own `cluster_id`, non-ASCII values) and the XOR
 * encoder's branches (irregular ms timestamps, repeated, negative, huge values).
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { compareStrings, type Label, type Labels } from '../../src/labels.ts';
import type { Sample, Window } from '../../src/series.ts';
import { createBlocksFromOpenMetrics, promtoolDump, startPrometheus, type PrometheusServer } from './prometheus.ts';
import { tempDir } from './tmp.ts';

/** 2 h aligned. */
export const T0 = 1_699_999_200_000;
export const HOUR = 3_600_000;
const DATA_END = T0 + 6 * HOUR;
export const EXTERNAL: Labels = [['cluster_id', 'c1']];

interface FixtureSeries {
  name: string;
  labels: Record<string, string>;
  /** seconds between samples */
  step: number;
  from: number;
  to: number;
  value: (i: number) => number;
  /** ms added to the i-th timestamp, for irregular scrapes */
  jitter?: (i: number) => number;
}

function fixtureSeries(instances: number): FixtureSeries[] {
  const out: FixtureSeries[] = [
    { name: 'a', labels: {}, step: 15, from: T0, to: DATA_END, value: (i) => i },
    { name: 'a', labels: { b: '1' }, step: 15, from: T0, to: DATA_END, value: (i) => i * 0.5 },
    { name: 'conflicted', labels: { cluster_id: 'own' }, step: 30, from: T0, to: DATA_END, value: () => 7 },
    // Go orders U+FFFD before U+1F600 (UTF-8 bytes); JavaScript's `<` orders them the other way.
    {
      name: 'unicode',
      labels: { city: 'Zürich', v: '\u{1F600}' },
      step: 60,
      from: T0 + HOUR,
      to: T0 + 5 * HOUR,
      value: (i) => -i * 1e300,
    },
    {
      name: 'unicode',
      labels: { city: 'Zürich', v: '\uFFFD' },
      step: 60,
      from: T0 + HOUR,
      to: T0 + 5 * HOUR,
      value: (i) => i / 3,
    },
    {
      name: 'jittery',
      labels: { job: 'x' },
      step: 10,
      from: T0,
      to: DATA_END,
      value: (i) => Math.round(Math.sin(i / 10) * 1e6) / 1e3,
      jitter: (i) => ((i * 7919) % 997) - 498,
    },
  ];
  for (let k = 0; k < instances; k++) {
    out.push({
      name: 'node_value',
      labels: { instance: `host-${String(k).padStart(3, '0')}`, job: 'node' },
      step: 15,
      from: T0 + (k % 5) * 20 * 60_000,
      to: DATA_END - (k % 3) * 25 * 60_000,
      value: (i) => (i % 17 === 0 ? 0 : (k + 1) * i + 0.25 * (i % 4)),
    });
  }
  return out;
}

function formatLabelsOm(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return name;
  return `${name}{${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

function fixtureOpenMetrics(instances = 20): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const s of fixtureSeries(instances)) {
    if (!seen.has(s.name)) {
      seen.add(s.name);
      lines.push(`# TYPE ${s.name} gauge`);
    }
    const head = formatLabelsOm(s.name, s.labels);
    for (let i = 0; ; i++) {
      const t = s.from + i * s.step * 1000 + (s.jitter?.(i) ?? 0);
      if (t >= s.to) break;
      if (t < s.from) continue;
      lines.push(`${head} ${s.value(i)} ${(t / 1000).toFixed(3)}`);
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

export interface Fixture {
  prometheus: PrometheusServer;
  dataDir: string;
  /** Samples per series (labels as stored, without external labels) in the window, from promtool. */
  truth(window: Window): Promise<Map<string, { labels: Labels; samples: Sample[] }>>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * Blocks from the fixture data and a Prometheus serving them. Compaction is off (min = max block
 * duration) so the blocks promtool reads are the blocks Prometheus serves.
 */
export async function startFixture(
  t: Teardown,
  opts: { extraArgs?: string[]; instances?: number } = {},
): Promise<Fixture> {
  const dir = await tempDir(t, 'promship-rr-');
  const dataDir = join(dir, 'data');
  await createBlocksFromOpenMetrics(fixtureOpenMetrics(opts.instances), dataDir);
  // Truth comes from a copy of the blocks that Prometheus never touches.
  const truthDir = join(dir, 'truth');
  await cp(dataDir, truthDir, { recursive: true });
  const prometheus = await startPrometheus({
    dataDir,
    externalLabels: Object.fromEntries(EXTERNAL),
    extraArgs: [
      '--storage.tsdb.min-block-duration=2h',
      '--storage.tsdb.max-block-duration=2h',
      ...(opts.extraArgs ?? []),
    ],
  });
  t.teardown(() => prometheus.stop());
  return {
    prometheus,
    dataDir,
    truth: async (window) => {
      const lines = await promtoolDump(truthDir, { minTime: window.start, maxTime: window.end - 1 });
      const out = new Map<string, { labels: Labels; samples: Sample[] }>();
      for (const line of lines) {
        const { labels, v, t: ts } = parseDumpLine(line);
        const key = labelsKey(labels);
        let entry = out.get(key);
        if (entry === undefined) {
          entry = { labels, samples: [] };
          out.set(key, entry);
        }
        entry.samples.push({ t: ts, v });
      }
      return out;
    },
  };
}

export function labelsKey(labels: Labels): string {
  return JSON.stringify(labels);
}

/** `{a="1", b="x\"y"} 1.5 1700000000000` as printed by promtool (Go's strconv.Quote values). */
function parseDumpLine(line: string): { labels: Labels; v: number; t: number } {
  const close = findLabelsEnd(line);
  const body = line.slice(1, close);
  const labels: Label[] = [];
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:, )?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) !== null) {
    labels.push([m[1]!, JSON.parse(`"${m[2]!}"`) as string]);
    if (re.lastIndex >= body.length) break;
  }
  if (re.lastIndex !== body.length && body.length > 0) throw new Error(`cannot parse labels in: ${line}`);
  const [value, ts] = line.slice(close + 2).split(' ');
  labels.sort((x, y) => compareStrings(x[0], y[0]));
  return { labels, v: parseFloat(value!), t: Number(ts) };
}

function findLabelsEnd(line: string): number {
  let inString = false;
  for (let i = 1; i < line.length; i++) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '}') return i;
  }
  throw new Error(`no closing brace in: ${line}`);
}
