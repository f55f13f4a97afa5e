/**
 * The file bucket (a local or mounted directory, like Thanos' FILESYSTEM store) against the
 * contract every store keeps (test/helpers/bucket-contract.ts), a fresh directory each time.
 */
import { join } from 'node:path';
import t from 'tap';
import { FileBucket } from '../../src/bucket/file-bucket.ts';
import { bucketContract } from '../helpers/bucket-contract.ts';
import { tempDir } from '../helpers/tmp.ts';

void t.test('contract on the file bucket', async (t) => {
  await bucketContract(t, async (t) => new FileBucket(join(await tempDir(t), 'bucket')));
});
