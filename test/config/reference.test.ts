import { readFile } from 'node:fs/promises';
import t from 'tap';
import { withConfigReference } from '../../src/config/reference.ts';
import { options } from '../../src/config/schema.ts';

t.test('the README configuration reference is current (run `npm run docs` if not)', async (t) => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  t.equal(readme, withConfigReference(readme));
  for (const spec of Object.values(options)) t.match(readme, `\`${spec.env}\``);
});
