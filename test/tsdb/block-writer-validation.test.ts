/** The writer refuses input that would make an invalid block, with typed errors, and cleans up. */
import { readdir } from 'node:fs/promises';
import t from 'tap';
import { openBlock } from '../../src/tsdb/block-reader.ts';
import { BlockWriter } from '../../src/tsdb/block-writer.ts';
import { tempDir } from '../helpers/tmp.ts';
import { BLOCK_START, TWO_HOURS, xorChunks } from '../helpers/tsdb-fixtures.ts';
import type { Chunk } from '../../src/series.ts';

const end = BLOCK_START + TWO_HOURS;
const chunk = (from: number, n = 3, step = 1000): Chunk =>
  xorChunks(Array.from({ length: n }, (_, i) => ({ t: from + i * step, v: i })))[0]!;

async function writer(t: { teardown(fn: () => unknown): void }): Promise<{ w: BlockWriter; dir: string }> {
  const dir = await tempDir(t);
  const w = await BlockWriter.open({ parentDir: dir, minTime: BLOCK_START, maxTime: end, thanosLabels: { c: '1' } });
  return { w, dir };
}

t.test('bad labels', async (t) => {
  const { w } = await writer(t);
  const c = [chunk(BLOCK_START)];
  await t.rejects(w.addSeries([], c), { code: 'PROMSHIP_TSDB_INVALID_LABELS' });
  await t.rejects(
    w.addSeries(
      [
        ['b', '1'],
        ['a', '1'],
      ],
      c,
    ),
    { code: 'PROMSHIP_TSDB_INVALID_LABELS' },
    'unsorted',
  );
  await t.rejects(
    w.addSeries(
      [
        ['a', '1'],
        ['a', '2'],
      ],
      c,
    ),
    { code: 'PROMSHIP_TSDB_INVALID_LABELS' },
    'duplicate name',
  );
  await t.rejects(w.addSeries([['a', '']], c), { code: 'PROMSHIP_TSDB_INVALID_LABELS' }, 'empty value');
  await t.rejects(w.addSeries([['', 'x']], c), { code: 'PROMSHIP_TSDB_INVALID_LABELS' }, 'empty name');
  await t.rejects(w.addSeries([['a', '\ud800']], c), { code: 'PROMSHIP_TSDB_INVALID_LABELS' }, 'lone surrogate');
  // Go byte order: U+FF5E sorts before U+1F600 although its UTF-16 unit is larger.
  await w.addSeries(
    [
      ['～', '1'],
      ['😀', '1'],
    ],
    c,
  );
  await t.rejects(
    w.addSeries(
      [
        ['😀', '1'],
        ['～', '1'],
      ],
      c,
    ),
    { code: 'PROMSHIP_TSDB_INVALID_LABELS' },
  );
  await w.abort();
});

t.test('bad chunks', async (t) => {
  const { w } = await writer(t);
  const l = [['a', '1']] as const;
  await t.rejects(
    w.addSeries(l, [chunk(BLOCK_START - 1)]),
    { code: 'PROMSHIP_TSDB_INVALID_CHUNK' },
    'before the block',
  );
  await t.rejects(w.addSeries(l, [chunk(end - 2, 3, 1)]), { code: 'PROMSHIP_TSDB_INVALID_CHUNK' }, 'reaches maxTime');
  await t.rejects(
    w.addSeries(l, [chunk(BLOCK_START), chunk(BLOCK_START + 2000)]),
    { code: 'PROMSHIP_TSDB_CHUNK_ORDER' },
    'overlap',
  );
  await t.rejects(
    w.addSeries(l, [chunk(BLOCK_START + 10_000), chunk(BLOCK_START)]),
    { code: 'PROMSHIP_TSDB_CHUNK_ORDER' },
    'unsorted',
  );
  await t.rejects(w.addSeries(l, [{ ...chunk(BLOCK_START), encoding: 4 }]), { code: 'PROMSHIP_TSDB_CHUNK_ENCODING' });
  await t.rejects(w.addSeries(l, [{ ...chunk(BLOCK_START), data: new Uint8Array(0) }]), {
    code: 'PROMSHIP_TSDB_INVALID_CHUNK',
  });
  await t.rejects(
    w.addSeries(l, [{ ...chunk(BLOCK_START), data: new Uint8Array([0, 0, 1]) }]),
    { code: 'PROMSHIP_TSDB_INVALID_CHUNK' },
    'zero samples',
  );
  await t.rejects(
    w.addSeries(l, [{ ...chunk(BLOCK_START), maxTime: BLOCK_START - 5 }]),
    { code: 'PROMSHIP_TSDB_INVALID_CHUNK' },
    'inverted',
  );
  // Rejected input leaves the writer usable.
  await w.addSeries(l, [chunk(end - 3, 3, 1)]);
  const block = await w.finish();
  t.equal(block?.meta.stats.numSeries, 1);
  t.equal(block?.meta.stats.numSamples, 3);
});

t.test('duplicate label sets fail at finish and leave nothing behind', async (t) => {
  const { w, dir } = await writer(t);
  await w.addSeries(
    [
      ['a', '1'],
      ['b', '2'],
    ],
    [chunk(BLOCK_START)],
  );
  await w.addSeries([['a', '0']], [chunk(BLOCK_START)]);
  await w.addSeries(
    [
      ['a', '1'],
      ['b', '2'],
    ],
    [chunk(BLOCK_START + 5000)],
  );
  await t.rejects(w.finish(), { code: 'PROMSHIP_TSDB_DUPLICATE_SERIES' });
  t.same(await readdir(dir), []);
  await t.rejects(w.addSeries([['a', '9']], [chunk(BLOCK_START)]), { code: 'PROMSHIP_TSDB_WRITER_STATE' });
});

t.test('no series: finish returns null and leaves nothing', async (t) => {
  const { w, dir } = await writer(t);
  await w.addSeries([['a', '1']], []);
  t.equal(await w.finish(), null);
  t.same(await readdir(dir), []);
});

t.test('abort removes everything written so far', async (t) => {
  const { w, dir } = await writer(t);
  await w.addSeries([['a', '1']], [chunk(BLOCK_START)]);
  t.same(await readdir(dir), [`${w.ulid}.tmp`]);
  await w.abort();
  t.same(await readdir(dir), []);
  await t.rejects(w.finish(), { code: 'PROMSHIP_TSDB_WRITER_STATE' });
});

t.test('options are checked', async (t) => {
  const dir = await tempDir(t);
  await t.rejects(BlockWriter.open({ parentDir: dir, minTime: 10, maxTime: 10, thanosLabels: {} }), {
    code: 'PROMSHIP_TSDB_WRITER_STATE',
  });
  await t.rejects(BlockWriter.open({ parentDir: dir, minTime: 0, maxTime: 10, thanosLabels: {}, ulid: 'nope' }), {
    code: 'PROMSHIP_TSDB_WRITER_STATE',
  });
  await t.rejects(BlockWriter.open({ parentDir: dir, minTime: 0, maxTime: 10, thanosLabels: {}, segmentMaxBytes: 4 }), {
    code: 'PROMSHIP_TSDB_WRITER_STATE',
  });
  const w = await BlockWriter.open({
    parentDir: dir,
    minTime: 0,
    maxTime: 10,
    thanosLabels: {},
    ulid: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
  });
  await t.rejects(
    BlockWriter.open({ parentDir: dir, minTime: 0, maxTime: 10, thanosLabels: {}, ulid: '01HZZZZZZZZZZZZZZZZZZZZZZZ' }),
    { code: 'PROMSHIP_TSDB_WRITE' },
    'same ulid in use',
  );
  await w.abort();
});

t.test('tryAddSeries rejects the same input with the same errors, synchronously', async (t) => {
  const { w } = await writer(t);
  const l = [['a', '1']] as const;
  const bad: [string, readonly (readonly [string, string])[], Chunk[]][] = [
    [
      'PROMSHIP_TSDB_INVALID_LABELS',
      [
        ['b', '1'],
        ['a', '1'],
      ],
      [chunk(BLOCK_START)],
    ],
    ['PROMSHIP_TSDB_INVALID_LABELS', [['a', '\ud800']], [chunk(BLOCK_START)]],
    ['PROMSHIP_TSDB_INVALID_CHUNK', l, [chunk(BLOCK_START - 1)]],
    ['PROMSHIP_TSDB_CHUNK_ORDER', l, [chunk(BLOCK_START), chunk(BLOCK_START + 2000)]],
    ['PROMSHIP_TSDB_CHUNK_ENCODING', l, [{ ...chunk(BLOCK_START), encoding: 4 }]],
    ['PROMSHIP_TSDB_CHUNK_ENCODING', l, [{ ...chunk(BLOCK_START), encoding: 1.5 }]],
    ['PROMSHIP_TSDB_INVALID_CHUNK', l, [{ ...chunk(BLOCK_START), data: new Uint8Array([0, 0, 1]) }]],
    ['PROMSHIP_TSDB_INVALID_CHUNK', l, [{ ...chunk(BLOCK_START), maxTime: BLOCK_START - 5 }]],
  ];
  t.equal(w.tryAddSeries([['a', '0']], [chunk(BLOCK_START)]), false, 'the first chunk has to open a segment');
  await w.addSeries([['a', '0']], [chunk(BLOCK_START)]);
  for (const [code, labels, chunks] of bad) t.throws(() => w.tryAddSeries(labels, chunks), { code });
  t.equal(w.tryAddSeries(l, [chunk(end - 3, 3, 1)]), true);
  const block = await w.finish();
  t.equal(block?.meta.stats.numSeries, 2);
  t.equal(block?.meta.stats.numSamples, 6);
});

t.test('tryAddSeries does nothing and says so while addSeries is running or the segment is full', async (t) => {
  const dir = await tempDir(t);
  // Room for the header and about two small chunks per segment: most series need a cut.
  const w = await BlockWriter.open({
    parentDir: dir,
    minTime: BLOCK_START,
    maxTime: end,
    thanosLabels: {},
    segmentMaxBytes: 64,
  });
  const running = w.addSeries([['a', '0']], [chunk(BLOCK_START)]);
  t.equal(w.tryAddSeries([['a', '1']], [chunk(BLOCK_START)]), false, 'an addSeries call is still queued');
  await running;
  let refused = 0;
  for (let i = 2; i < 12; i++) {
    const labels = [['a', String(i).padStart(2, '0')]] as const;
    const chunks = [chunk(BLOCK_START), chunk(BLOCK_START + 10_000)];
    if (!w.tryAddSeries(labels, chunks)) {
      refused++;
      await w.addSeries(labels, chunks);
    }
  }
  t.ok(refused > 0, 'a full segment sends series to addSeries');
  const block = await w.finish();
  t.equal(block?.meta.stats.numSeries, 11, 'refused series were not half-added');
  t.equal(block?.meta.stats.numChunks, 21);
});

t.test('a label array reused and changed in place is checked and indexed afresh', async (t) => {
  const { w } = await writer(t);
  const labels: [string, string][] = [
    ['a', '1'],
    ['b', '1'],
  ];
  await w.addSeries(labels, [chunk(BLOCK_START)]);
  labels[1] = ['b', '\ud800'];
  t.throws(
    () => w.tryAddSeries(labels, [chunk(BLOCK_START)]),
    { code: 'PROMSHIP_TSDB_INVALID_LABELS' },
    'the changed value is checked',
  );
  await t.rejects(w.addSeries(labels, [chunk(BLOCK_START)]), { code: 'PROMSHIP_TSDB_INVALID_LABELS' });
  labels[1] = ['b', '2'];
  await w.addSeries(labels, [chunk(BLOCK_START)]);
  const block = await w.finish();
  t.equal(block?.meta.stats.numSeries, 2, 'the changed value made it into the symbol table');
  const opened = await openBlock(block!.dir);
  t.teardown(() => opened.close());
  const seen: string[] = [];
  for await (const s of opened.series()) seen.push(s.labels.map(([n, v]) => `${n}=${v}`).join(','));
  t.same(seen, ['a=1,b=1', 'a=1,b=2']);
});

t.test('a label array reused and changed in place to sort earlier still ends up in order', async (t) => {
  const { w } = await writer(t);
  const labels: [string, string][] = [
    ['a', '1'],
    ['b', '5'],
  ];
  for (const v of ['5', '3', '9', '1']) {
    labels[1] = ['b', v];
    await w.addSeries(labels, [chunk(BLOCK_START)]);
  }
  const block = await w.finish();
  const opened = await openBlock(block!.dir);
  t.teardown(() => opened.close());
  const seen: string[] = [];
  for await (const s of opened.series()) seen.push(s.labels.map(([n, v]) => `${n}=${v}`).join(','));
  t.same(seen, ['a=1,b=1', 'a=1,b=3', 'a=1,b=5', 'a=1,b=9'], 'the index lists the series sorted');
  await t.resolves(opened.verify(), 'and the block verifies');
});
