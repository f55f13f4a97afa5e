/**
 * One series as the index writer spills it: `uvarint label count`, per label `uvarint name id |
 * uvarint value id` (ids from `SymbolCollector.add`), then the series' encoded chunk metas.
 * Once the symbols are sorted, `positionOf` turns each id into the string's position in the
 * table, and positions compare as the strings do (the table is in Go's byte order), so records
 * sort as Prometheus' labels.Compare sorts label sets without a string being read.
 */
import { join } from 'node:path';
import { SpillReader, SpillWriter } from './spill-file.ts';

/** Reads a uvarint at `pos`; the position after it is left in `uvarintEnd`. */
export let uvarintEnd = 0;
export function readUvarint(b: Uint8Array, pos: number): number {
  let n = 0;
  let scale = 1;
  for (;;) {
    const x = b[pos++]!;
    n += (x & 0x7f) * scale;
    if (x < 0x80) break;
    scale *= 0x80;
  }
  uvarintEnd = pos;
  return n;
}

/** Prometheus' labels.Compare on two records, by the positions of their ids. */
export function compareRecordLabels(a: Buffer, b: Buffer, positionOf: Uint32Array): number {
  const na = readUvarint(a, 0);
  let pa = uvarintEnd;
  const nb = readUvarint(b, 0);
  let pb = uvarintEnd;
  const n = Math.min(na, nb);
  for (let k = 0; k < 2 * n; k++) {
    const x = positionOf[readUvarint(a, pa)]!;
    pa = uvarintEnd;
    const y = positionOf[readUvarint(b, pb)]!;
    pb = uvarintEnd;
    if (x !== y) return x - y;
  }
  return na - nb;
}

/** Byte order of two ranges; a loop beats Buffer#compare's per-call cost on short label strings. */
export function compareBytes(a: Uint8Array, as: number, ae: number, b: Uint8Array, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const d = a[as + i]! - b[bs + i]!;
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}

/**
 * Splits a spill file of records in arrival order into sorted runs of about `runBytes` each, for
 * series that did not arrive sorted. Returns the runs' paths.
 */
export async function sortIntoRuns(
  path: string,
  dir: string,
  runBytes: number,
  compare: (a: Buffer, b: Buffer) => number,
): Promise<string[]> {
  const runs: string[] = [];
  const reader = await SpillReader.open(path);
  let batch: Buffer[] = [];
  let bytes = 0;
  const writeRun = async (): Promise<void> => {
    batch.sort(compare);
    const out = await SpillWriter.create(join(dir, `series-run-${runs.length}`));
    try {
      for (const r of batch) await out.append(r);
      await out.close();
    } catch (err) {
      await out.discard();
      throw err;
    }
    runs.push(out.path);
    batch = [];
    bytes = 0;
  };
  try {
    for (let r = await reader.next(); r !== null; r = await reader.next()) {
      // A copy: the reader's buffer is reused.
      batch.push(Buffer.from(r));
      bytes += r.length + 16;
      if (bytes >= runBytes) await writeRun();
    }
    if (batch.length > 0) await writeRun();
  } finally {
    await reader.close();
  }
  return runs;
}
