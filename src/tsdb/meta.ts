/**
 * A block's `meta.json`: Prometheus' `tsdb.BlockMeta` plus Thanos' `thanos` section
 * (`pkg/block/metadata/meta.go`). Keys, nesting and order are those of the Go structs, so the
 * file reads the same as one a Thanos sidecar uploads.
 *
 * `thanos.files` follows Thanos' `GatherFileStats`: every `chunks/*` segment and `index` with
 * `size_bytes`, and `meta.json` itself listed by path only (its size is not known while it is
 * being written), sorted by path. `upload_time` only exists since Thanos 0.40; 0.32 ignores
 * unknown keys, so it is allowed in the type, but the writer leaves it to the uploader.
 */
import { z } from 'zod';
import { compareStrings } from '../labels.ts';
import { InvalidBlockMetaError } from './errors.ts';

export const META_FILENAME = 'meta.json';
export const INDEX_FILENAME = 'index';
export const CHUNKS_DIRNAME = 'chunks';

export interface BlockStats {
  numSamples: number;
  numSeries: number;
  numChunks: number;
  numTombstones?: number;
}

export interface BlockCompaction {
  level: number;
  sources: string[];
}

export interface ThanosFile {
  rel_path: string;
  /** Absent for meta.json, as Thanos writes it. */
  size_bytes?: number;
}

export interface ThanosMeta {
  /** 1; absent in metas written by Thanos versions that predate the field (read as 1). */
  version?: number;
  labels: Record<string, string>;
  downsample: { resolution: number };
  source: string;
  /** Deprecated by Thanos in favour of `files`, still written by the 0.32 sidecar. */
  segment_files?: string[];
  files?: ThanosFile[];
  /** RFC 3339; Thanos ≥ 0.40 uses it for the consistency delay. */
  upload_time?: string;
}

export interface BlockMeta {
  ulid: string;
  minTime: number;
  /** Exclusive: the block holds samples in [minTime, maxTime). */
  maxTime: number;
  stats: BlockStats;
  compaction: BlockCompaction;
  version: 1;
  thanos: ThanosMeta;
}

export interface BuildBlockMetaInput {
  ulid: string;
  minTime: number;
  maxTime: number;
  stats: BlockStats;
  thanosLabels: Record<string, string>;
  /** Segment names (`000001`, …) with their sizes, in order. */
  segments: readonly { name: string; sizeBytes: number }[];
  indexSizeBytes: number;
}

/** The meta of a freshly written level-1 block, as a Thanos sidecar would upload it. */
export function buildBlockMeta(input: BuildBlockMetaInput): BlockMeta {
  const files: ThanosFile[] = [
    ...input.segments.map((s) => ({ rel_path: `${CHUNKS_DIRNAME}/${s.name}`, size_bytes: s.sizeBytes })),
    { rel_path: INDEX_FILENAME, size_bytes: input.indexSizeBytes },
    { rel_path: META_FILENAME },
  ];
  files.sort((a, b) => compareStrings(a.rel_path, b.rel_path));
  return {
    ulid: input.ulid,
    minTime: input.minTime,
    maxTime: input.maxTime,
    stats: {
      numSamples: input.stats.numSamples,
      numSeries: input.stats.numSeries,
      numChunks: input.stats.numChunks,
    },
    compaction: { level: 1, sources: [input.ulid] },
    version: 1,
    thanos: {
      version: 1,
      labels: sortedRecord(input.thanosLabels),
      downsample: { resolution: 0 },
      source: 'sidecar',
      segment_files: input.segments.map((s) => s.name),
      files,
    },
  };
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort(compareStrings)) out[k] = r[k]!;
  return out;
}

/**
 * meta.json text: tab-indented with a final newline like Thanos' encoder, keys in Go struct
 * order, map keys sorted as Go sorts them, zero-valued `omitempty` fields left out.
 */
export function serializeBlockMeta(meta: BlockMeta): string {
  const stats: Record<string, number> = {};
  if (meta.stats.numSamples) stats.numSamples = meta.stats.numSamples;
  if (meta.stats.numSeries) stats.numSeries = meta.stats.numSeries;
  if (meta.stats.numChunks) stats.numChunks = meta.stats.numChunks;
  if (meta.stats.numTombstones) stats.numTombstones = meta.stats.numTombstones;
  const compaction: Record<string, unknown> = { level: meta.compaction.level };
  if (meta.compaction.sources.length > 0) compaction.sources = meta.compaction.sources;
  const t = meta.thanos;
  const thanos: Record<string, unknown> = {};
  if (t.version) thanos.version = t.version;
  thanos.labels = sortedRecord(t.labels);
  thanos.downsample = { resolution: t.downsample.resolution };
  thanos.source = t.source;
  if (t.segment_files && t.segment_files.length > 0) thanos.segment_files = t.segment_files;
  if (t.files && t.files.length > 0) {
    thanos.files = t.files.map((f) =>
      f.size_bytes ? { rel_path: f.rel_path, size_bytes: f.size_bytes } : { rel_path: f.rel_path },
    );
  }
  if (t.upload_time) thanos.upload_time = t.upload_time;
  const doc = {
    ulid: meta.ulid,
    minTime: meta.minTime,
    maxTime: meta.maxTime,
    stats,
    compaction,
    version: meta.version,
    thanos,
  };
  return `${JSON.stringify(doc, null, '\t')}\n`;
}

const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const ulidSchema = z.string().regex(ULID_RE, 'not a ULID');
const int64 = z.number().int().refine(Number.isSafeInteger, 'not an integer within ±2^53');
const uint64 = int64.refine((n) => n >= 0, 'negative');

// Optional fields mirror Go's decoder: a missing key leaves the zero value, unknown keys are ignored.
const metaSchema = z.object({
  ulid: ulidSchema,
  minTime: int64,
  maxTime: int64,
  stats: z
    .object({
      numSamples: uint64.optional(),
      numSeries: uint64.optional(),
      numChunks: uint64.optional(),
      numTombstones: uint64.optional(),
    })
    .optional(),
  compaction: z.object({
    level: int64,
    sources: z.array(ulidSchema).optional(),
  }),
  version: z.literal(1, { error: 'meta version must be 1' }),
  thanos: z
    .object({
      version: z.union([z.literal(0), z.literal(1)], { error: 'Thanos section version must be 1' }).optional(),
      labels: z.record(z.string(), z.string()).nullable().optional(),
      downsample: z.object({ resolution: int64 }).optional(),
      source: z.string().optional(),
      segment_files: z.array(z.string()).nullable().optional(),
      files: z
        .array(z.object({ rel_path: z.string(), size_bytes: uint64.optional() }))
        .nullable()
        .optional(),
      upload_time: z.string().optional(),
    })
    .optional(),
});

/**
 * Parses and validates a meta.json read from disk or the bucket. Accepts what Thanos 0.32
 * accepts (a missing `thanos` section reads as no labels, raw resolution); throws
 * `InvalidBlockMetaError` naming `source` otherwise.
 */
export function parseBlockMeta(text: string | Uint8Array, source = 'meta.json'): BlockMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof text === 'string' ? text : new TextDecoder().decode(text));
  } catch (err) {
    throw new InvalidBlockMetaError(
      `${source} is not valid JSON (${(err as Error).message}); the block is damaged, re-create or delete it`,
      {
        cause: err,
      },
    );
  }
  return blockMetaFromJson(raw, source);
}

/** `parseBlockMeta` for a meta.json already parsed as JSON (e.g. one kept in a local cache). */
export function blockMetaFromJson(raw: unknown, source = 'meta.json'): BlockMeta {
  const parsed = metaSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') || '(root)' : '(root)';
    throw new InvalidBlockMetaError(
      `${source} is not a valid block meta: ${where}: ${issue?.message ?? 'invalid'}; the block is damaged, re-create or delete it`,
    );
  }
  const m = parsed.data;
  const t = m.thanos;
  const thanos: ThanosMeta = {
    labels: sortedRecord(t?.labels ?? {}),
    downsample: { resolution: t?.downsample?.resolution ?? 0 },
    source: t?.source ?? '',
  };
  if (t?.version !== undefined && t.version !== 0) thanos.version = t.version;
  if (t?.segment_files) thanos.segment_files = t.segment_files;
  if (t?.files) {
    thanos.files = t.files.map((f) =>
      f.size_bytes !== undefined ? { rel_path: f.rel_path, size_bytes: f.size_bytes } : { rel_path: f.rel_path },
    );
  }
  if (t?.upload_time !== undefined) thanos.upload_time = t.upload_time;
  const stats: BlockStats = {
    numSamples: m.stats?.numSamples ?? 0,
    numSeries: m.stats?.numSeries ?? 0,
    numChunks: m.stats?.numChunks ?? 0,
  };
  if (m.stats?.numTombstones) stats.numTombstones = m.stats.numTombstones;
  return {
    ulid: m.ulid.toUpperCase(),
    minTime: m.minTime,
    maxTime: m.maxTime,
    stats,
    compaction: { level: m.compaction.level, sources: (m.compaction.sources ?? []).map((s) => s.toUpperCase()) },
    version: 1,
    thanos,
  };
}
