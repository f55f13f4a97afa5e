/**
 * Bad Google Cloud Storage configuration stops `promship once` and `promship run` at start: exit
 * 2, one line on stderr naming the setting, and no secret (a service account's private key) in any
 * output.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.ts';
import { testSecret } from '../helpers/output-log.ts';
import { freePort, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('GCS configuration errors exit 2 with one line naming the setting, no secret', async (t) => {
  const dir = await tempDir(t);
  const prometheus = await startPrometheus({
    dataDir: join(dir, 'prom'),
    externalLabels: { cluster_id: 'cluster-two' },
  });
  t.teardown(() => prometheus.stop());
  const secret = testSecret('gcs-private-key');
  const account = JSON.stringify({
    type: 'service_account',
    client_email: 'x@y.iam.gserviceaccount.com',
    private_key: `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`,
  });
  const yaml = async (name: string, text: string): Promise<string> => {
    const p = join(dir, name);
    await writeFile(p, text);
    return p;
  };
  const indent = (s: string): string =>
    s
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
  const wrongType = await yaml(
    'wrong-type.yaml',
    `type: GCS\nconfig:\n  bucket: thanos\n  max_retries: many\n  service_account: |-\n${indent(account)}\n`,
  );
  const noBucket = await yaml('no-bucket.yaml', `type: GCS\nconfig:\n  service_account: |-\n${indent(account)}\n`);
  const badJson = await yaml(
    'bad-json.yaml',
    `type: GCS\nconfig:\n  bucket: thanos\n  service_account: '{"private_key": "${secret}"'\n`,
  );
  const unknownKey = await yaml('unknown-key.yaml', `type: GCS\nconfig:\n  bucket: thanos\n  service_acount: x\n`);
  const notJsonKeyFile = await yaml('key.json', `private_key=${secret}\n`);
  const base = {
    PROMSHIP_PROMETHEUS_URL: prometheus.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
  };
  const cases: { name: string; env: Record<string, string>; says: RegExp }[] = [
    {
      name: 'unknown URL scheme',
      env: { PROMSHIP_BUCKET: 'gcs://thanos/x' },
      says: /PROMSHIP_BUCKET: 'gcs:' buckets are not supported; use s3:\/\/, gs:\/\/, azblob:\/\/ or file:\/\//,
    },
    {
      name: 'invalid bucket name',
      env: { PROMSHIP_BUCKET: 'gs://Thanos_/x' },
      says: /PROMSHIP_BUCKET: .*names no valid GCS bucket/,
    },
    {
      name: 'unreadable service-account file',
      env: { PROMSHIP_BUCKET: 'gs://thanos/x', GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'nowhere.json') },
      says: /GOOGLE_APPLICATION_CREDENTIALS .*nowhere\.json: ENOENT/,
    },
    {
      name: 'service-account file that is no credentials JSON',
      env: { PROMSHIP_BUCKET: 'gs://thanos/x', GOOGLE_APPLICATION_CREDENTIALS: notJsonKeyFile },
      says: /GOOGLE_APPLICATION_CREDENTIALS .*key\.json is not a Google credentials JSON/,
    },
    {
      name: 'objstore GCS with a wrong type',
      env: { PROMSHIP_OBJSTORE_CONFIG_FILE: wrongType },
      says: /config\.max_retries must be a whole number/,
    },
    {
      name: 'objstore GCS without bucket',
      env: { PROMSHIP_OBJSTORE_CONFIG_FILE: noBucket },
      says: /config\.bucket is missing/,
    },
    {
      name: 'objstore GCS with a service account that is not JSON',
      env: { PROMSHIP_OBJSTORE_CONFIG_FILE: badJson },
      says: /config\.service_account is not valid JSON/,
    },
    {
      name: 'objstore GCS with an unknown key',
      env: { PROMSHIP_OBJSTORE_CONFIG_FILE: unknownKey },
      says: /unknown key "config\.service_acount"/,
    },
  ];
  for (const command of ['once', 'run']) {
    for (const c of cases) {
      const r = await runCli(
        [command],
        { ...base, PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`, ...c.env },
        60_000,
      );
      const what = `${command}, ${c.name}`;
      t.equal(r.code, 2, `${what}: exit 2`);
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      t.equal(lines.length, 1, `${what}: one line on stderr (${JSON.stringify(r.stderr.slice(0, 400))})`);
      t.match(lines[0] ?? '', /^promship: /, `${what}: the line says who speaks`);
      t.match(lines[0] ?? '', c.says, `${what}: the line names the setting`);
      t.notMatch(r.stderr + r.stdout, /\n\s+at |Error: /, `${what}: no stack trace`);
      t.notOk((r.stderr + r.stdout).includes(secret), `${what}: no secret`);
      t.notMatch(r.stderr + r.stdout, /BEGIN PRIVATE KEY/, `${what}: no key material`);
    }
  }
});
