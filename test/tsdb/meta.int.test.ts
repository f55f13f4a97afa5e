/**
 * meta.json as Thanos 0.32 writes and reads it (pkg/block/metadata/meta.go, pkg/block/block.go
 * GatherFileStats, pkg/shipper/shipper.go): the facts below are taken from that source, not
 * from our output.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { BlockWriter } from '../../src/tsdb/block-writer.ts';
import { parseBlockMeta, type BlockMeta } from '../../src/tsdb/meta.ts';
import { tempDir } from '../helpers/tmp.ts';
import { BLOCK_START, TWO_HOURS, promtoolBlocks, sortedLabels, xorChunks } from '../helpers/tsdb-fixtures.ts';

t.test('written meta.json has the keys, order and types Thanos uses', async (t) => {
  const dir = await tempDir(t);
  const w = await BlockWriter.open({
    parentDir: dir,
    minTime: BLOCK_START,
    maxTime: BLOCK_START + TWO_HOURS,
    thanosLabels: { zone: 'z', cluster_id: 'cluster-two' },
    segmentMaxBytes: 200,
  });
  for (let s = 0; s < 3; s++) {
    await w.addSeries(
      sortedLabels({ __name__: 'm', s: String(s) }),
      xorChunks(Array.from({ length: 30 }, (_, i) => ({ t: BLOCK_START + i * 1000, v: i }))),
    );
  }
  const block = (await w.finish())!;
  const text = await readFile(join(block.dir, 'meta.json'), 'utf8');
  t.ok(text.endsWith('}\n'), 'one trailing newline, like json.Encoder');
  t.match(text, /^\{\n\t"ulid"/, 'tab indentation like Thanos SetIndent("", "\\t")');
  const m = JSON.parse(text) as BlockMeta;
  // tsdb.BlockMeta field order, then the embedded-struct sibling "thanos".
  t.same(Object.keys(m), ['ulid', 'minTime', 'maxTime', 'stats', 'compaction', 'version', 'thanos']);
  t.equal(m.ulid, block.ulid);
  t.equal(m.minTime, BLOCK_START);
  t.equal(m.maxTime, BLOCK_START + TWO_HOURS);
  t.same(m.stats, { numSamples: 90, numSeries: 3, numChunks: 3 });
  t.same(m.compaction, { level: 1, sources: [block.ulid] });
  t.equal(m.version, 1);
  // metadata.Thanos field order: version, labels, downsample, source, segment_files, files.
  t.same(Object.keys(m.thanos), ['version', 'labels', 'downsample', 'source', 'segment_files', 'files']);
  t.equal(m.thanos.version, 1);
  t.same(Object.keys(m.thanos.labels), ['cluster_id', 'zone'], 'map keys sorted as Go marshals them');
  t.same(m.thanos.downsample, { resolution: 0 });
  t.equal(m.thanos.source, 'sidecar');
  t.notOk('upload_time' in m.thanos, 'upload_time is left to the uploader (Thanos >= 0.40 field)');
  t.notOk('index_stats' in m.thanos);
  const segs: string[] = m.thanos.segment_files!;
  t.ok(segs.length >= 2, 'tiny segments made several files');
  t.same(
    segs,
    segs.map((_, i) => String(i + 1).padStart(6, '0')),
    'segment_files are bare names like GetSegmentFiles',
  );
  // GatherFileStats: chunks/* and index with size_bytes, meta.json by path only, sorted by path.
  const files: { rel_path: string; size_bytes?: number }[] = m.thanos.files!;
  t.same(
    files.map((f) => f.rel_path),
    [...segs.map((s) => `chunks/${s}`), 'index', 'meta.json'],
  );
  for (const f of files.slice(0, -1)) {
    t.type(f.size_bytes, 'number');
    t.equal(f.size_bytes, (await readFile(join(block.dir, f.rel_path))).length, f.rel_path);
  }
  t.same(Object.keys(files.at(-1)!), ['rel_path']);
  t.same(
    block.files.map((f) => f.relPath),
    files.map((f) => f.rel_path),
  );
  t.equal(block.files.at(-1)!.sizeBytes, Buffer.byteLength(text));
  t.same(parseBlockMeta(text), block.meta, 'parses back to what finish returned');
});

t.test('parseBlockMeta accepts what Thanos accepts', async (t) => {
  const dir = await tempDir(t);
  const [id] = await promtoolBlocks(
    [{ labels: sortedLabels({ __name__: 'x' }), samples: [{ t: BLOCK_START, v: 1 }] }],
    dir,
  );
  const promMeta = parseBlockMeta(await readFile(join(dir, id!, 'meta.json')));
  t.equal(promMeta.ulid, id);
  t.same(
    promMeta.thanos,
    { labels: {}, downsample: { resolution: 0 }, source: '' },
    'a Prometheus meta has no thanos section',
  );
  const withUnknown = parseBlockMeta(
    JSON.stringify({
      ulid: id,
      minTime: 1,
      maxTime: 2,
      stats: {},
      compaction: { level: 3, sources: [id], parents: [] },
      version: 1,
      thanos: {
        labels: { a: 'b' },
        downsample: { resolution: 300000 },
        source: 'compactor',
        index_stats: {},
        upload_time: '2025-01-01T00:00:00Z',
        extensions: { x: 1 },
      },
    }),
  );
  t.equal(withUnknown.thanos.downsample.resolution, 300000);
  t.equal(withUnknown.thanos.upload_time, '2025-01-01T00:00:00Z');
  t.same(withUnknown.stats, { numSamples: 0, numSeries: 0, numChunks: 0 });
});

t.test('parseBlockMeta rejects what Thanos rejects', async (t) => {
  const good = {
    ulid: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
    minTime: 1,
    maxTime: 2,
    compaction: { level: 1 },
    version: 1,
    thanos: { labels: {} },
  };
  const bad: Record<string, unknown> = {
    'not json': '{',
    'meta version 2': { ...good, version: 2 },
    'thanos version 2': { ...good, thanos: { version: 2, labels: {} } },
    'bad ulid': { ...good, ulid: 'ZZZ' },
    'ulid overflow': { ...good, ulid: '8ZZZZZZZZZZZZZZZZZZZZZZZZZ' },
    'string time': { ...good, minTime: '1' },
    'fractional time': { ...good, maxTime: 1.5 },
    'bad source ulid': { ...good, compaction: { level: 1, sources: ['x'] } },
    'label not a string': { ...good, thanos: { labels: { a: 1 } } },
  };
  for (const [name, v] of Object.entries(bad)) {
    t.throws(
      () => parseBlockMeta(typeof v === 'string' ? v : JSON.stringify(v)),
      { code: 'PROMSHIP_TSDB_INVALID_META' },
      name,
    );
  }
});
