/**
 * Bucket.putIfAbsent on the file bucket: the first call creates the object, a second finds it and
 * leaves it as it was (the GCS store's 412 path is in gcs-resumable-preconditions.test.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('file bucket: created once, then false and unchanged', async (t) => {
  const dir = await tempDir(t);
  const b = new FileBucket(dir);
  t.equal(await b.putIfAbsent('promship/lock.json', 'first'), true);
  t.equal(await b.putIfAbsent('promship/lock.json', 'second'), false);
  t.equal(await readFile(join(dir, 'promship', 'lock.json'), 'utf8'), 'first');
  t.same(
    (await b.listObjects('')).map((o) => o.key),
    ['promship/lock.json'],
    'no temporary file is left beside it',
  );
});
