/**
 * Deterministic, awkward Prometheus history as OpenMetrics text: the shapes that break block
 * writers (counter resets, full-precision floats, NaN and ±Inf, sparse and short-lived series,
 * many labels, unicode and escaped label values, a first window only partly filled). Used by the
 * demo and by the tests, which compare what promship ships against what promtool made of it.
 */

export interface HistoryOptions {
  /** First sample time, ms. */
  start: number;
  /** No sample at or after this time, ms. */
  end: number;
  /** Seed for the pseudo-random values. */
  seed?: number;
  /** Scales the number of ordinary series (1 → about 100 series in total). */
  scale?: number;
}

/** mulberry32: small, fast, and the same sequence everywhere for one seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

function formatTs(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(3);
}

interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  series: { labels: Record<string, string>; samples: [number, number][] }[];
}

export function generateHistory(opts: HistoryOptions): string {
  const rnd = seededRandom(opts.seed ?? 42);
  const scale = opts.scale ?? 1;
  const { start, end } = opts;
  const every = (stepMs: number, from = start, to = end): number[] => {
    const out: number[] = [];
    for (let t = from; t < to; t += stepMs) out.push(t);
    return out;
  };
  const families: Family[] = [];

  // Counters that reset now and then, as after a pod restart.
  const requests: Family = { name: 'demo_http_requests', type: 'counter', help: 'Requests served.', series: [] };
  for (let i = 0; i < 20 * scale; i++) {
    let c = Math.floor(rnd() * 1000);
    const samples: [number, number][] = every(15_000).map((t) => {
      c = rnd() < 0.003 ? 0 : c + Math.floor(rnd() * 50);
      return [t, c];
    });
    requests.series.push({ labels: { code: ['200', '404', '500'][i % 3]!, handler: `/api/v${i}` }, samples });
  }
  families.push(requests);

  // Full-precision floats: every bit of the mantissa matters.
  const random: Family = { name: 'demo_random_value', type: 'gauge', help: 'Random floats.', series: [] };
  for (let i = 0; i < 30 * scale; i++) {
    const step = [10_000, 15_000, 30_000, 60_000][i % 4]!;
    const samples: [number, number][] = every(step).map((t) => [t, (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20)]);
    random.series.push({ labels: { instance: `node-${i}`, job: 'random' }, samples });
  }
  families.push(random);

  // Special values, each in its own series and mixed into one.
  const special: Family = {
    name: 'demo_special_value',
    type: 'gauge',
    help: 'NaN, infinities, zeros, extremes.',
    series: [],
  };
  const specials: [string, number][] = [
    ['nan', NaN],
    ['pos_inf', Infinity],
    ['neg_inf', -Infinity],
    ['zero', 0],
    ['neg_zero', -0],
    ['max', Number.MAX_VALUE],
    ['min_positive', Number.MIN_VALUE],
    ['neg_max', -Number.MAX_VALUE],
  ];
  for (const [kind, v] of specials) {
    special.series.push({ labels: { kind }, samples: every(30_000).map((t) => [t, v]) });
  }
  special.series.push({
    labels: { kind: 'mixed' },
    samples: every(20_000).map((t, i) => [
      t,
      i % 7 === 0 ? NaN : i % 11 === 0 ? Infinity : i % 13 === 0 ? -Infinity : i * 0.1,
    ]),
  });
  families.push(special);

  // Sparse series with irregular, sometimes huge, gaps (and a millisecond-precision timestamp).
  const sparse: Family = { name: 'demo_sparse_value', type: 'gauge', help: 'Irregular samples.', series: [] };
  for (let i = 0; i < 5 * scale; i++) {
    const samples: [number, number][] = [];
    let t = start + Math.floor(rnd() * 600) * 1000 + (i % 2 === 0 ? 123 : 0);
    while (t < end) {
      samples.push([t, Math.round(rnd() * 1e6) / 100]);
      t += (1 + Math.floor(rnd() * (rnd() < 0.2 ? 5400 : 300))) * 1000;
    }
    sparse.series.push({ labels: { shard: String(i) }, samples });
  }
  families.push(sparse);

  // Short-lived series: a pod that lived for 20 minutes somewhere in the range.
  const pods: Family = { name: 'demo_pod_up', type: 'gauge', help: 'Short-lived pods.', series: [] };
  for (let i = 0; i < 10 * scale; i++) {
    const from = start + Math.floor(rnd() * Math.max(1, end - start - 1_200_000));
    pods.series.push({
      labels: { namespace: 'batch', pod: `job-${i}-${Math.floor(rnd() * 1e6).toString(36)}` },
      samples: every(15_000, from, Math.min(end, from + 1_200_000)).map((t) => [t, 1]),
    });
  }
  families.push(pods);

  // Many labels on one series, and label values that need escaping or are not ASCII.
  const wide: Family = { name: 'demo_wide_series', type: 'gauge', help: 'Many labels.', series: [] };
  const manyLabels: Record<string, string> = {};
  for (let i = 0; i < 40; i++) manyLabels[`label_${String(i).padStart(2, '0')}`] = `value-${i}`;
  wide.series.push({ labels: manyLabels, samples: every(60_000).map((t, i) => [t, i]) });
  const odd = [
    'café ☕',
    'quote " inside',
    'back\\slash',
    'new\nline',
    '日本語',
    'emoji 🚀 rocket',
    '\uFFFD\uE000',
    '𝔘𝔫𝔦',
  ];
  for (const v of odd) wide.series.push({ labels: { text: v }, samples: every(60_000).map((t) => [t, v.length]) });
  families.push(wide);

  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    const sampleName = f.type === 'counter' ? `${f.name}_total` : f.name;
    for (const s of f.series) {
      const l = labelText(s.labels);
      for (const [t, v] of s.samples) lines.push(`${sampleName}${l} ${formatValue(v)} ${formatTs(t)}`);
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}
