/**
 * The defects the property tests found, each pinned as the exact input that showed it, so they
 * stay fixed even if a later change to a generator stops reaching them.
 */
import t from 'tap';
import { parseObjstoreConfig } from '../../src/bucket/objstore-config.ts';
import { loadConfig } from '../../src/config/load.ts';
import { seriesFromFrames } from '../../src/prometheus/streamed-series.ts';
import type { SeriesChunks } from '../../src/series.ts';
import { body } from './fuzz-support.ts';
import { configError } from '../helpers/config-error.ts';

t.test('a chunk without its data field arrives as empty bytes, not an array', async (t) => {
  // ChunkedReadResponse { chunked_series { chunks {} } }: protobufjs' default for bytes is [].
  const out: SeriesChunks[] = [];
  for await (const s of seriesFromFrames(body([Uint8Array.of(0x0a, 0x02, 0x12, 0x00)]))) out.push(s);
  t.equal(out.length, 1);
  t.ok(out[0]!.chunks[0]!.data instanceof Uint8Array, 'data is a Uint8Array');
  t.equal(out[0]!.chunks[0]!.data.length, 0);
});

t.test('a malformed %-escape in the bucket URL is a ConfigError, not a URIError', async (t) => {
  const err = configError(() => loadConfig({ env: {}, argv: ['--bucket', 's3://b/%E0%A4%A'] }));
  t.match(err.message, /^invalid --bucket: /);
});

t.test('a value with a newline keeps the error on one line', async (t) => {
  const err = configError(() => loadConfig({ env: { PROMSHIP_PROMETHEUS_URL: 'http://x\nsecond line' }, argv: [] }));
  t.notMatch(err.message, /\n/);
  t.match(err.message, /PROMSHIP_PROMETHEUS_URL/);
});

t.test('a flag is never taken as the value of the flag before it', async (t) => {
  const err = configError(() =>
    loadConfig({ env: {}, argv: ['--prometheus-url', '--prometheus-headers=X-Token=Zq9SeCrEt'] }),
  );
  t.equal(err.message, 'flag --prometheus-url needs a value');
  t.notMatch(err.message, /Zq9SeCrEt/);
});

t.test('objstore YAML: alias loops and alias bombs are ConfigErrors', async (t) => {
  t.match(
    configError(() => parseObjstoreConfig('type: S3\nprefix: &a [*a]\n', 'o.yaml')).message,
    /alias inside the node it refers to/,
  );
  t.match(
    configError(() => parseObjstoreConfig('type: S3\nconfig: &a\n  bucket: b\n  x: *a\n', 'o.yaml')).message,
    /alias inside/,
  );
  const defs = ['b0: &b0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= 9; i++)
    defs.push(
      `b${i}: &b${i} [${Array(10)
        .fill(`*b${i - 1}`)
        .join(', ')}]`,
    );
  const bomb = `type: S3\nconfig:\n${defs.map((d) => `  ${d}`).join('\n')}\n`;
  t.match(configError(() => parseObjstoreConfig(bomb, 'o.yaml')).message, /expands to more than/);
});

t.test('objstore YAML: quoted keys and types stay on one line; __proto__ is just an unknown key', async (t) => {
  const type = configError(() => parseObjstoreConfig('type: "FILESYSTEM\\ndirectory?"\n', 'o.yaml'));
  t.notMatch(type.message, /\n/);
  t.match(type.message, /unknown object store type "FILESYSTEM\\ndirectory\?"/);
  const key = configError(() =>
    parseObjstoreConfig('type: S3\nconfig: {bucket: b, endpoint: e, "a\\nb": 1}\n', 'o.yaml'),
  );
  t.notMatch(key.message, /\n/);
  const proto = configError(() =>
    parseObjstoreConfig('type: S3\nconfig: {bucket: b, endpoint: e, __proto__: {a: 1}}\n', 'o.yaml'),
  );
  t.match(proto.message, /unknown key "config\.__proto__"/);
});
