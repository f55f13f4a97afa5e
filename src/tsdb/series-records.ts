/**
 * One series as the index writer spills it: `uvarint label count`, per label `uvarint len |
 * name | uvarint len | value` (UTF-8), then the series' encoded chunk metas. Records compare by
 * their label bytes exactly as Prometheus' labels.Compare compares label sets (UTF-8 byte order
 * is Go's string order), so sorted runs of them can be merged without decoding a string.
 */
import { join } from 'node:path';
import type { Label, Labels } from '../labels.ts';
import { ByteWriter } from './encoding.ts';
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

export function encodeRecordLabels(out: ByteWriter, labels: Labels): void {
  out.putUvarint(labels.length);
  for (const [name, value] of labels) {
    out.putUvarintString(name);
    out.putUvarintString(value);
  }
}

export function decodeRecordLabels(r: Buffer): Labels {
  const labels: Label[] = [];
  let p = 0;
  const n = readUvarint(r, p);
  p = uvarintEnd;
  for (let k = 0; k < n; k++) {
    const nl = readUvarint(r, p);
    const name = r.toString('utf8', uvarintEnd, uvarintEnd + nl);
    const vl = readUvarint(r, uvarintEnd + nl);
    const value = r.toString('utf8', uvarintEnd, uvarintEnd + vl);
    p = uvarintEnd + vl;
    labels.push([name, value]);
  }
  return labels;
}

/** Prometheus' labels.Compare on two records' label bytes. */
export function compareRecordLabels(a: Buffer, b: Buffer): number {
  const na = readUvarint(a, 0);
  let pa = uvarintEnd;
  const nb = readUvarint(b, 0);
  let pb = uvarintEnd;
  const n = Math.min(na, nb);
  for (let k = 0; k < 2 * n; k++) {
    const la = readUvarint(a, pa);
    pa = uvarintEnd;
    const lb = readUvarint(b, pb);
    pb = uvarintEnd;
    const c = compareBytes(a, pa, pa + la, b, pb, pb + lb);
    if (c !== 0) return c;
    pa += la;
    pb += lb;
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
export async function sortIntoRuns(path: string, dir: string, runBytes: number): Promise<string[]> {
  const runs: string[] = [];
  const reader = await SpillReader.open(path);
  let batch: Buffer[] = [];
  let bytes = 0;
  const writeRun = async (): Promise<void> => {
    batch.sort(compareRecordLabels);
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
