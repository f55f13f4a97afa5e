import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { options } from '../src/config/schema.ts';
import { errorCodes } from '../src/error-codes.ts';
import { errorReference } from '../src/error-reference.ts';

const root = new URL('..', import.meta.url).pathname;
const registered = new Set<string>(Object.keys(errorCodes));
const settings = new Set<string>(Object.values(options).map((o) => o.env));

/** Every `PROMSHIP_*` name in `text` that is neither a registered code nor a setting. */
function unregistered(text: string): string[] {
  const names = text.match(/PROMSHIP_[A-Z0-9_]+/g) ?? [];
  // A name ending in `_` is a family mentioned in prose (`PROMSHIP_S3_*`, `PROMSHIP_…`), not a code.
  return names.filter((n) => !n.endsWith('_') && !registered.has(n) && !settings.has(n));
}

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

t.test('the check finds a code that is not registered', (t) => {
  t.same(unregistered("throw new BucketError('PROMSHIP_BUCKET_GONE', 'x'); // PROMSHIP_S3_* PROMSHIP_DATA_DIR"), [
    'PROMSHIP_BUCKET_GONE',
  ]);
  t.same(unregistered("code: 'PROMSHIP_TSDB_WRITE'"), []);
  t.end();
});

t.test('every PROMSHIP_* name in src, scripts and bench is a registered code or a setting', async (t) => {
  const files = [...(await sources('src')), ...(await sources('scripts')), ...(await sources('bench'))];
  t.ok(files.length > 50, 'the source files were found');
  const used = new Set<string>();
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    t.same(unregistered(text), [], `${file.slice(root.length)} uses only registered codes`);
    if (!file.endsWith('error-codes.ts')) for (const n of text.match(/PROMSHIP_[A-Z0-9_]+/g) ?? []) used.add(n);
  }
  // An entry nothing raises any more would document an error that cannot happen.
  t.same(
    [...registered].filter((c) => !used.has(c)),
    [],
    'every registered code is used outside the registry',
  );
});

t.test('every code says what it means and what to do', (t) => {
  for (const [code, doc] of Object.entries(errorCodes)) {
    t.ok(doc.meaning.length > 10 && doc.action.length > 5, code);
  }
  t.end();
});

t.test('docs/errors.md is generated from the registry (run `npm run docs` if not)', async (t) => {
  const docs = await readFile(join(root, 'docs/errors.md'), 'utf8');
  t.equal(docs, errorReference());
  for (const code of registered) t.match(docs, `\`${code}\``);
});
