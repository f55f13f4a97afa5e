/**
 * verify() catches damage anywhere: a flipped byte in each index section and in a chunk, a
 * truncated file, and meta.json claims that differ from the files. Section positions come from
 * the TOC read by the test itself, per the format doc. Random damage never crashes or hangs.
 */
import { cp, readFile, writeFile, truncate, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { openBlock, type BlockReport } from '../../src/tsdb/block-reader.ts';
import { BlockWriter } from '../../src/tsdb/block-writer.ts';
import { TsdbError } from '../../src/tsdb/errors.ts';
import { tempDir } from '../helpers/tmp.ts';
import { BLOCK_START, TWO_HOURS, readRawToc, rng, sortedLabels, xorChunks } from '../helpers/tsdb-fixtures.ts';

async function goodBlock(dir: string): Promise<string> {
  const w = await BlockWriter.open({
    parentDir: dir,
    minTime: BLOCK_START,
    maxTime: BLOCK_START + TWO_HOURS,
    thanosLabels: { c: '1' },
  });
  for (let s = 0; s < 20; s++) {
    const samples = Array.from({ length: 200 }, (_, i) => ({ t: BLOCK_START + i * 30_000, v: i * s }));
    await w.addSeries(sortedLabels({ __name__: 'm', s: String(s), job: s % 2 ? 'a' : 'b' }), xorChunks(samples));
  }
  return (await w.finish())!.dir;
}

async function verifyDir(dir: string): Promise<BlockReport> {
  const r = await openBlock(dir);
  try {
    return await r.verify();
  } finally {
    await r.close();
  }
}

async function flip(file: string, at: number): Promise<void> {
  const b = await readFile(file);
  b[at] = b[at]! ^ 0x41;
  await writeFile(file, b);
}

t.test('an untouched block verifies', async (t) => {
  const report = await verifyDir(await goodBlock(await tempDir(t)));
  t.match(report, { numSeries: 20, numChunks: 40, numSamples: 4000, numSegments: 1, unreferencedChunks: 0 });
  // Symbols: "", __name__, a, b, job, m, s, 0..19.
  t.equal(report.numSymbols, 27);
});

t.test('a flipped byte in each index section is detected', async (t) => {
  const root = await tempDir(t);
  const good = await goodBlock(root);
  const toc = await readRawToc(good);
  const size = (await readFile(join(good, 'index'))).length;
  const spots: Record<string, number> = {
    header: 1,
    symbols: toc.symbols + 9,
    series: Math.ceil(toc.series / 16) * 16 + 3,
    'label indices': Math.ceil(toc.labelIndices / 4) * 4 + 9,
    postings: Math.ceil(toc.postings / 4) * 4 + 9,
    'label offset table': toc.labelIndicesTable + 9,
    'postings offset table': toc.postingsTable + 9,
    toc: size - 20,
  };
  for (const [name, at] of Object.entries(spots)) {
    const dir = join(root, `copy-${name.replace(/ /g, '-')}`);
    await cp(good, dir, { recursive: true });
    await flip(join(dir, 'index'), at);
    await t.rejects(verifyDir(dir), { code: 'PROMSHIP_TSDB_CORRUPT_BLOCK' }, name);
  }
});

t.test('a flipped byte in a chunk is detected', async (t) => {
  const root = await tempDir(t);
  const good = await goodBlock(root);
  const dir = join(root, 'copy');
  await cp(good, dir, { recursive: true });
  await flip(join(dir, 'chunks', '000001'), 8 + 1 + 1 + 5);
  await t.rejects(verifyDir(dir), { code: 'PROMSHIP_TSDB_CORRUPT_BLOCK', message: /CRC32C mismatch/ });
});

t.test('truncated files are detected', async (t) => {
  const root = await tempDir(t);
  const good = await goodBlock(root);
  for (const [file, cut] of [
    ['index', 100],
    ['chunks/000001', 10],
  ] as const) {
    const dir = join(root, `cut-${file.replace('/', '-')}`);
    await cp(good, dir, { recursive: true });
    const path = join(dir, file);
    await truncate(path, (await readFile(path)).length - cut);
    await t.rejects(verifyDir(dir), { code: 'PROMSHIP_TSDB_CORRUPT_BLOCK' }, file);
  }
});

t.test('meta.json that disagrees with the files is detected', async (t) => {
  const root = await tempDir(t);
  const good = await goodBlock(root);
  // The fields of meta.json these edits touch.
  interface MetaJson {
    maxTime: number;
    stats: { numSamples: number; numSeries: number };
    thanos: { files: { size_bytes: number }[] };
  }
  const edits: Record<string, (m: MetaJson) => void> = {
    'index size': (m) => (m.thanos.files[1]!.size_bytes += 1),
    'segment size': (m) => (m.thanos.files[0]!.size_bytes -= 1),
    'missing file': (m) => m.thanos.files.splice(1, 1),
    samples: (m) => (m.stats.numSamples += 1),
    series: (m) => (m.stats.numSeries -= 1),
    range: (m) => (m.maxTime = BLOCK_START + 5_970_000),
  };
  for (const [name, edit] of Object.entries(edits)) {
    const dir = join(root, `meta-${name.replace(/ /g, '-')}`);
    await cp(good, dir, { recursive: true });
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as MetaJson;
    edit(meta);
    await writeFile(join(dir, 'meta.json'), JSON.stringify(meta));
    await t.rejects(verifyDir(dir), { code: 'PROMSHIP_TSDB_CORRUPT_BLOCK' }, name);
  }
  const dir = join(root, 'grown');
  await cp(good, dir, { recursive: true });
  await appendFile(join(dir, 'chunks', '000001'), Buffer.alloc(3));
  await t.rejects(verifyDir(dir), { code: 'PROMSHIP_TSDB_CORRUPT_BLOCK' }, 'a grown segment');
});

t.test('random damage gives a typed error or a clean pass, never a crash', async (t) => {
  const root = await tempDir(t);
  const good = await goodBlock(root);
  const random = rng(42);
  const files = ['index', 'chunks/000001'];
  let detected = 0;
  for (let i = 0; i < 150; i++) {
    const dir = join(root, `fuzz-${i}`);
    await cp(good, dir, { recursive: true });
    const file = join(dir, files[i % 2]!);
    const b = await readFile(file);
    const n = 1 + Math.floor(random() * 4);
    for (let k = 0; k < n; k++) b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
    await writeFile(file, i % 10 === 9 ? b.subarray(0, Math.floor(random() * b.length)) : b);
    try {
      await verifyDir(dir);
    } catch (err) {
      if (!(err instanceof TsdbError)) t.fail(`untyped error: ${(err as Error).stack}`);
      detected++;
    }
  }
  t.ok(detected > 140, `${detected} of 150 damaged blocks rejected`);
});
