/**
 * objstore `service_account` holds a credentials JSON that Thanos hands whole to
 * google.CredentialsFromJSON, which reads every credential type, not only service-account keys.
 * Workload Identity Federation (`external_account`), the usual way for a cluster outside Google
 * Cloud to reach GCS without a long-lived key, must authenticate in promship as in Thanos: the
 * bucket's own auth client exchanges the subject token at the token endpoint the JSON names (a
 * node:http stub here) and gets its access token.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { GcsBucket } from '../../src/bucket/gcs-bucket.ts';
import { parseObjstoreConfig } from '../../src/bucket/objstore-config.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('an external_account service_account gets a token from the endpoint it names', async (t) => {
  const tokenRequests: string[] = [];
  const sts = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      tokenRequests.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: 'federated-token',
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: 3600,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    sts.closeAllConnections();
    sts.close();
  });
  const dir = await tempDir(t);
  await writeFile(join(dir, 'subject-token'), 'a-subject-jwt');
  const credentials = {
    type: 'external_account',
    audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q',
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: `http://127.0.0.1:${(sts.address() as AddressInfo).port}/token`,
    credential_source: { file: join(dir, 'subject-token') },
  };
  const yaml = `type: GCS\nconfig:\n  bucket: b\n  service_account: '${JSON.stringify(credentials)}'\n`;
  const parsed = parseObjstoreConfig(yaml, 'objstore.yaml');
  if (parsed.bucket.kind !== 'gcs') throw new Error(`parsed as ${parsed.bucket.kind}`);
  const bucket = new GcsBucket(parsed.bucket.options, {});
  // The client the SDK signs every request to storage.googleapis.com with.
  const { authClient } = (bucket as unknown as { storage: { authClient: { getAccessToken(): Promise<string> } } })
    .storage;
  const token = await authClient.getAccessToken().then(
    (value) => ({ value }),
    (err: unknown) => ({ err: err instanceof Error ? err.message : String(err) }),
  );
  t.same(token, { value: 'federated-token' }, 'the federated token');
  t.equal(tokenRequests.length, 1, 'from one exchange at the token endpoint');
  t.match(tokenRequests[0], /subject_token=a-subject-jwt/, 'of the subject token the JSON points at');
});
