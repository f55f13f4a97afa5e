/**
 * Thanos' block markers (`pkg/block/metadata/markers.go`): small JSON files the compactor, or an
 * operator with `thanos tools bucket mark`, puts into a block's directory after the upload. They
 * are not part of the block (`thanos.files` never lists them); they say what Thanos is to do with
 * it:
 *
 * - `deletion-mark.json`: the block is retired (the source of a compaction, past retention, or
 *   marked by hand) and is deleted after the compactor's `--delete-delay`. During the delay the
 *   sources of a compaction sit beside the compacted block that holds all of their data. Thanos
 *   leaves a marked block out, so it overlaps nothing: `thanos tools bucket verify` at once, the
 *   store gateway and the compactor after a shorter delay of their own.
 * - `no-compact-mark.json`, `no-downsample-mark.json`: the block stays, and is not compacted or
 *   not downsampled.
 *
 * Thanos ignores a marker it cannot decode, with a warning (it may be a partial upload), as if the
 * block were not marked; a marker with a `version` other than 1 fails its sync of the bucket.
 */

export const DELETION_MARK = 'deletion-mark.json';
export const NO_COMPACT_MARK = 'no-compact-mark.json';
export const NO_DOWNSAMPLE_MARK = 'no-downsample-mark.json';

export type MarkerFile = typeof DELETION_MARK | typeof NO_COMPACT_MARK | typeof NO_DOWNSAMPLE_MARK;

/** The field holding when the mark was made (unix seconds), per marker. */
const TIME_FIELD: Record<MarkerFile, string> = {
  [DELETION_MARK]: 'deletion_time',
  [NO_COMPACT_MARK]: 'no_compact_time',
  [NO_DOWNSAMPLE_MARK]: 'no_downsample_time',
};

export interface BlockMarker {
  file: MarkerFile;
  /** When the block was marked, unix seconds, as Thanos writes it. */
  time: number;
  /** Why, for no-compact and no-downsample marks (`manual`, `index-size-exceeding`, …). */
  reason?: string;
  details?: string;
}

/** Whether `relPath` (relative to the block directory) is a marker Thanos writes. */
export function isMarkerFile(relPath: string): relPath is MarkerFile {
  return Object.hasOwn(TIME_FIELD, relPath);
}

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;

/**
 * Reads a marker as Thanos decodes it: a JSON object whose `id` (when present) is a ULID, whose
 * time is an integer and whose `reason` and `details` are strings; a missing or null field reads
 * as Go's zero value. `version` must be 1. Throws an Error saying what Thanos would refuse.
 */
export function parseBlockMarker(file: MarkerFile, bytes: Uint8Array): BlockMarker {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file} is not a JSON object`);
  const doc = raw as Record<string, unknown>;
  if (doc.id != null && (typeof doc.id !== 'string' || !ULID.test(doc.id)))
    throw new Error(`${file} has an id that is not a ULID: ${JSON.stringify(doc.id)}`);
  if (doc.version !== 1)
    throw new Error(`${file} has version ${JSON.stringify(doc.version ?? 0)}; Thanos only reads version 1`);
  const timeField = TIME_FIELD[file];
  const time = doc[timeField] ?? 0;
  if (typeof time !== 'number' || !Number.isSafeInteger(time))
    throw new Error(`${file} has a ${timeField} that is not an integer: ${JSON.stringify(time)}`);
  const marker: BlockMarker = { file, time };
  for (const key of ['reason', 'details'] as const) {
    const value = doc[key] ?? '';
    if (typeof value !== 'string') throw new Error(`${file} has a ${key} that is not a string`);
    if (value !== '') marker[key] = value;
  }
  return marker;
}
