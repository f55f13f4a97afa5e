/**
 * A wrong Azure bucket setting stops `promship once` and `promship run` at start: exit 2, one line
 * on stderr naming the setting (or the objstore key) to fix, no stack trace, and none of the
 * credentials it was given (account key, connection string) in any output.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.ts';
import { freePort, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

void t.test('bad Azure bucket settings exit 2 with one line that names them and no secret', async (t) => {
  const dir = await tempDir(t);
  const prometheus = await startPrometheus({
    dataDir: join(dir, 'prom'),
    externalLabels: { cluster_id: 'cluster-two' },
  });
  t.teardown(() => prometheus.stop());
  const key = randomBytes(64).toString('base64');
  const connectionString = `DefaultEndpointsProtocol=https;AccountName=promshipdata;AccountKey=${key};EndpointSuffix=core.windows.net`;
  const yaml = async (name: string, body: string): Promise<string> => {
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, body);
    return file;
  };
  const objstore = (config: string): string => `type: AZURE\nconfig:\n${config}`;
  const base = {
    PROMSHIP_PROMETHEUS_URL: prometheus.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    // Not inherited from this machine: the cases below say what is set.
    AZURE_STORAGE_ACCOUNT: '',
  };
  const cases: { name: string; env: Record<string, string>; says: RegExp }[] = [
    {
      name: 'unknown URL scheme',
      env: { PROMSHIP_BUCKET: 'azure://blocks/thanos' },
      says: /PROMSHIP_BUCKET: .*'azure:' buckets are not supported; use s3:\/\/, gs:\/\/, azblob:\/\/ or file:\/\//,
    },
    {
      name: 'no account',
      env: { PROMSHIP_BUCKET: 'azblob://blocks/thanos', AZURE_STORAGE_KEY: key },
      says: /PROMSHIP_AZURE_ACCOUNT is not set/,
    },
    {
      name: 'container name Azure refuses',
      env: { PROMSHIP_BUCKET: 'azblob://b_l/thanos' },
      says: /PROMSHIP_BUCKET: .*container name/,
    },
    {
      name: 'account key that is not base64',
      env: { PROMSHIP_BUCKET: 'azblob://blocks', PROMSHIP_AZURE_ACCOUNT: 'promshipdata', AZURE_STORAGE_KEY: `${key}!` },
      says: /AZURE_STORAGE_KEY is not a base64 account key/,
    },
    {
      name: 'connection string without an account',
      env: { PROMSHIP_BUCKET: 'azblob://blocks', AZURE_STORAGE_CONNECTION_STRING: `AccountKey=${key};Nonsense` },
      says: /connection string is not valid/,
    },
    {
      name: 'objstore YAML without container',
      env: {
        PROMSHIP_OBJSTORE_CONFIG_FILE: await yaml(
          'no-container',
          objstore(`  storage_account: promshipdata\n  storage_account_key: "${key}"\n`),
        ),
      },
      says: /config\.container is missing/,
    },
    {
      name: 'objstore YAML without account',
      env: {
        PROMSHIP_OBJSTORE_CONFIG_FILE: await yaml(
          'no-account',
          objstore(`  container: blocks\n  storage_account_key: "${key}"\n`),
        ),
      },
      says: /config\.storage_account is missing/,
    },
    {
      name: 'objstore YAML of a wrong type',
      env: {
        PROMSHIP_OBJSTORE_CONFIG_FILE: await yaml(
          'wrong-type',
          `type: AZUR\nconfig:\n  storage_account_key: "${key}"\n`,
        ),
      },
      says: /unknown object store type "AZUR"/,
    },
    {
      name: 'objstore YAML value of a wrong type',
      env: {
        PROMSHIP_OBJSTORE_CONFIG_FILE: await yaml(
          'bad-retries',
          objstore(
            `  storage_account: promshipdata\n  container: blocks\n  storage_account_key: "${key}"\n  max_retries: many\n`,
          ),
        ),
      },
      says: /config\.max_retries must be a whole number/,
    },
    {
      name: 'objstore YAML unknown key',
      env: {
        PROMSHIP_OBJSTORE_CONFIG_FILE: await yaml(
          'typo',
          objstore(`  storage_acount: promshipdata\n  container: blocks\n  storage_account_key: "${key}"\n`),
        ),
      },
      says: /unknown key "config\.storage_acount"/,
    },
    {
      name: 'objstore YAML with key and connection string',
      env: {
        PROMSHIP_OBJSTORE_CONFIG_FILE: await yaml(
          'both',
          objstore(
            `  storage_account: promshipdata\n  container: blocks\n  storage_account_key: "${key}"\n  storage_connection_string: "${connectionString}"\n`,
          ),
        ),
      },
      says: /config\.storage_account_key and config\.storage_connection_string cannot both be set/,
    },
  ];
  for (const command of ['once', 'run']) {
    for (const c of cases) {
      const env = { ...base, PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`, ...c.env };
      const r = await runCli([command], env, 60_000);
      const what = `${command}, ${c.name}`;
      t.equal(r.code, 2, `${what}: exit 2`);
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      t.equal(lines.length, 1, `${what}: one line on stderr (${JSON.stringify(r.stderr.slice(0, 400))})`);
      t.match(lines[0] ?? '', c.says, `${what}: the line says what to fix`);
      t.notMatch(r.stderr + r.stdout, /\n\s+at |Error: /, `${what}: no stack trace`);
      t.notOk((r.stderr + r.stdout).includes(key), `${what}: no account key`);
      t.notOk((r.stderr + r.stdout).includes(connectionString), `${what}: no connection string`);
    }
  }
});
