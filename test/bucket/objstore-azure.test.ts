/**
 * `type: AZURE` objstore YAML as thanos-io/objstore `providers/azure` defines it: a Kubecost /
 * Thanos secret parses unchanged into the options the Azure bucket uses; keys Thanos knows but
 * promship does not act on are warnings naming them; Thanos' own conflicts and wrong types stop
 * the start naming the key; no value is ever echoed.
 */
import t from 'tap';
import { parseObjstoreConfig } from '../../src/bucket/objstore-config.ts';
import { configError } from '../helpers/config-error.ts';

const KEY = 'c2VjcmV0LWtleS1wcm9tc2hpcC10ZXN0LXNlY3JldA==';

void t.test('a Thanos AZURE secret parses unchanged', async (t) => {
  const parsed = parseObjstoreConfig(
    [
      'type: azure',
      'config:',
      '  storage_account: companythanos',
      `  storage_account_key: "${KEY}"`,
      '  container: thanos',
      '  endpoint: blob.core.chinacloudapi.cn',
      '  max_retries: 3',
      '  msi_resource: ""',
      '  http_config:',
      '    idle_conn_timeout: 90s',
      'prefix: /metrics/',
      '',
    ].join('\n'),
    'object-store.yaml',
  );
  t.same(parsed.bucket, {
    kind: 'azure',
    options: {
      container: 'thanos',
      prefix: 'metrics',
      account: 'companythanos',
      accountKey: KEY,
      endpoint: 'blob.core.chinacloudapi.cn',
      maxTries: 3,
    },
  });
  t.same(parsed.warnings, [], 'defaults and empty values warn about nothing');
});

void t.test('pipeline_config wins over max_retries; identities map to their options', async (t) => {
  const a = parseObjstoreConfig(
    'type: AZURE\nconfig:\n  storage_account: a1\n  container: c1c\n  max_retries: 3\n  pipeline_config:\n    max_tries: 7\n    try_timeout: 30s\n',
    'x',
  );
  t.match(a.bucket, { kind: 'azure', options: { maxTries: 7, tryTimeoutMs: 30_000 } });
  const mi = parseObjstoreConfig(
    'type: AZURE\nconfig:\n  storage_account: a1\n  container: c1c\n  user_assigned_id: 1111\n',
    'x',
  );
  t.match(mi.bucket, { kind: 'azure', options: { userAssignedId: '1111' } });
  t.notOk('accountKey' in (mi.bucket.kind === 'azure' ? mi.bucket.options : {}), 'no key: the identity chain is used');
  const sp = parseObjstoreConfig(
    'type: AZURE\nconfig:\n  storage_account: a1\n  container: c1c\n  az_tenant_id: t\n  client_id: c\n  client_secret: s3cr3t\n',
    'x',
  );
  t.match(sp.bucket, { kind: 'azure', options: { tenantId: 't', clientId: 'c', clientSecret: 's3cr3t' } });
  const cs = parseObjstoreConfig(
    `type: AZURE\nconfig:\n  storage_connection_string: "AccountName=a1;AccountKey=${KEY}"\n  container: c1c\n`,
    'x',
  );
  t.match(cs.bucket, { kind: 'azure', options: { connectionString: `AccountName=a1;AccountKey=${KEY}` } });
});

void t.test('known keys promship does not use are warned about by name', async (t) => {
  const parsed = parseObjstoreConfig(
    [
      'type: AZURE',
      'config:',
      '  storage_account: a1',
      '  container: c1c',
      '  msi_resource: https://storage.azure.com/',
      '  storage_create_container: true',
      '  reader_config:',
      '    max_retry_requests: 4',
      '  pipeline_config:',
      '    retry_delay: 2s',
      '  http_config:',
      '    max_idle_conns: 5',
      '',
    ].join('\n'),
    'object-store.yaml',
  );
  const text = parsed.warnings.join('\n');
  for (const key of [
    'msi_resource',
    'storage_create_container',
    'reader_config.max_retry_requests',
    'pipeline_config.retry_delay',
    'http_config.max_idle_conns',
  ]) {
    t.match(text, `config.${key}`, `${key} is named`);
  }
});

void t.test('wrong types, conflicts and missing keys name the key and never the value', async (t) => {
  const cases: [string, RegExp][] = [
    [`  storage_account: a1\n  storage_account_key: "${KEY}"\n`, /config\.container is missing/],
    [`  container: c1c\n  storage_account_key: "${KEY}"\n`, /config\.storage_account is missing/],
    [
      `  storage_account: a1\n  container: c1c\n  storage_account_key: "${KEY}"\n  max_retries: lots\n`,
      /config\.max_retries must be a whole number/,
    ],
    [
      `  storage_account: a1\n  container: [c1c]\n  storage_account_key: "${KEY}"\n`,
      /config\.container must be a string/,
    ],
    [
      `  storage_account: a1\n  container: c1c\n  storage_account_key: "${KEY}"\n  user_assigned_id: u\n`,
      /config\.user_assigned_id cannot be set together with config\.storage_account_key/,
    ],
    [
      `  storage_account: a1\n  container: c1c\n  client_id: c\n  client_secret: "${KEY}"\n`,
      /az_tenant_id, config\.client_id and config\.client_secret must be set together/,
    ],
    [
      `  storage_account: a1\n  container: c1c\n  storage_account_key: "${KEY}"\n  pipeline_config:\n    max_tries: -1\n`,
      /pipeline_config\.max_tries must be 0 or more/,
    ],
    [
      `  storage_account: a1\n  container: c1c\n  endpoint: https://a1.blob.core.windows.net\n  storage_account_key: "${KEY}"\n`,
      /config\.endpoint must be a host suffix/,
    ],
    [
      `  storage_account: a1\n  container: c1c\n  storage_acount_key: "${KEY}"\n`,
      /unknown key "config\.storage_acount_key"/,
    ],
  ];
  for (const [config, says] of cases) {
    const err = configError(() => parseObjstoreConfig(`type: AZURE\nconfig:\n${config}`, 'object-store.yaml'));
    t.match(err.message, says);
    t.notOk(err.message.includes(KEY), 'the key is not echoed');
    t.notOk(err.message.includes('\n'), 'one line');
  }
});
