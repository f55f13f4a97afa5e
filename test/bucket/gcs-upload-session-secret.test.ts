/**
 * A resumable GCS upload's session URI (its `upload_id`) lets whoever holds it upload into the
 * session without credentials, for up to a week. When the upload's PUT is cut, the SDK's error
 * quotes that URI; the BucketError promship logs and keeps in its status must not.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { GcsBucket } from '../../src/bucket/gcs-bucket.ts';
import { BucketError, describeError } from '../../src/errors.ts';
import { tempDir } from '../helpers/tmp.ts';

const UPLOAD_ID = 'ADPycdu-SESSION-CAPABILITY-1234567890';

t.test('a cut resumable upload fails without its session URI in the error', async (t) => {
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.includes('uploadType=resumable')) {
      req.resume();
      req.on('end', () => {
        const { port } = server.address() as AddressInfo;
        res.writeHead(200, {
          location: `http://127.0.0.1:${port}/upload/storage/v1/b/b/o?uploadType=resumable&name=k&upload_id=${UPLOAD_ID}`,
        });
        res.end();
      });
      return;
    }
    // The upload's PUT into the session: the connection is cut once the body arrives.
    req.once('data', () => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const file = join(await tempDir(t), '000001');
  await writeFile(file, Buffer.alloc(300_000, 1));
  const bucket = new GcsBucket({
    bucket: 'b',
    apiEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    maxAttempts: 1,
    requestTimeoutMs: 3000,
    resumableThresholdBytes: 1000,
  });
  const err = await bucket.uploadFile('01J/chunks/000001', file).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof BucketError, 'the upload fails with a BucketError');
  const text = describeError(err);
  t.match(text, /upload_id=\[REDACTED\]/, `the URI is quoted with its upload_id redacted: ${text}`);
  t.notOk(text.includes(UPLOAD_ID), 'and the session id appears nowhere in the error or its causes');
});
