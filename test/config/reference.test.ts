/**
 * docs/configuration.md is generated from the schema: it must be what `npm run docs` writes now,
 * and name every setting (so a stale page, or a generator that drops one, fails here).
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { CONFIGURATION_PAGE, configurationPage } from '../../src/config/reference.ts';
import { options } from '../../src/config/schema.ts';

const ROOT = new URL('../../', import.meta.url);

void t.test('docs/configuration.md is current (run `npm run docs` if not)', async (t) => {
  const page = await readFile(new URL(CONFIGURATION_PAGE, ROOT), 'utf8');
  t.equal(page, configurationPage());
});

void t.test('docs/configuration.md lists every setting, each once, with its flag', async (t) => {
  const page = await readFile(new URL(CONFIGURATION_PAGE, ROOT), 'utf8');
  for (const spec of Object.values(options)) {
    const rows = page.split('\n').filter((line) => line.startsWith(`| \`${spec.env}\` |`));
    t.equal(rows.length, 1, `${spec.env} has one row`);
    t.match(rows[0] ?? '', `\`${spec.flag}\``, `${spec.env} row names ${spec.flag}`);
  }
});
