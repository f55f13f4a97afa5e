/**
 * Thanos objstore YAML `type: GCS` as thanos-io/objstore providers/gcs defines it: the
 * kubecost-thanos secret for GCS parses unchanged, valid keys promship does not act on are warned
 * about, wrong types and a missing bucket are errors naming the key, and no message quotes the
 * service account.
 */
import t from 'tap';
import { parseObjstoreConfig } from '../../src/bucket/objstore-config.ts';
import { configError } from '../helpers/config-error.ts';

const KEY = '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC-secret-body\\n-----END PRIVATE KEY-----\\n';

// Kubecost's documented object-store.yaml for GCS (docs: long-term-storage-gcp).
const kubecostSecret = `type: GCS
config:
  bucket: "thanos-bucket"
  service_account: |-
    {
      "type": "service_account",
      "project_id": "my-project",
      "private_key_id": "0123abcd",
      "private_key": "${KEY}",
      "client_email": "thanos@my-project.iam.gserviceaccount.com",
      "client_id": "1234567890",
      "auth_uri": "https://accounts.google.com/o/oauth2/auth",
      "token_uri": "https://oauth2.googleapis.com/token",
      "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
      "client_x509_cert_url": ""
    }
`;

t.test("Kubecost's GCS secret parses unchanged, with the service account as credentials", async (t) => {
  const parsed = parseObjstoreConfig(kubecostSecret, 'kubecost-thanos/object-store.yaml');
  t.equal(parsed.bucket.kind, 'gcs');
  if (parsed.bucket.kind !== 'gcs') return;
  t.equal(parsed.bucket.options.bucket, 'thanos-bucket');
  t.equal(parsed.bucket.options.serviceAccount?.client_email, 'thanos@my-project.iam.gserviceaccount.com');
  t.equal(parsed.bucket.options.serviceAccount?.private_key, KEY.replace(/\\n/g, '\n'));
  t.same(parsed.warnings, []);
});

t.test(
  'prefix, max_retries, chunk_size_bytes and response_header_timeout are used; gRPC and other http settings warned',
  async (t) => {
    const parsed = parseObjstoreConfig(
      'type: gcs\nprefix: /fleet/a/\nconfig:\n  bucket: b\n  max_retries: 3\n  use_grpc: true\n  grpc_conn_pool_size: 4\n  chunk_size_bytes: 16777216\n  http_config:\n    response_header_timeout: 90s\n    max_idle_conns: 7\n',
      'gcs.yaml',
    );
    t.equal(parsed.bucket.kind, 'gcs');
    if (parsed.bucket.kind !== 'gcs') return;
    t.same(parsed.bucket.options, {
      bucket: 'b',
      prefix: 'fleet/a',
      maxAttempts: 3,
      chunkSizeBytes: 16777216,
      requestTimeoutMs: 90_000,
    });
    t.same(
      parsed.warnings.map((w) => /config\.([a-z_.]+)/.exec(w)?.[1]),
      ['use_grpc', 'grpc_conn_pool_size', 'http_config.max_idle_conns'],
    );
    for (const w of parsed.warnings) t.match(w, /^gcs\.yaml: /);
  },
);

t.test('Thanos defaults (use_grpc false, pool 0, http defaults) earn no warning', async (t) => {
  const parsed = parseObjstoreConfig(
    'type: GCS\nconfig:\n  bucket: b\n  use_grpc: false\n  grpc_conn_pool_size: 0\n  http_config:\n    idle_conn_timeout: 90s\n',
    'gcs.yaml',
  );
  t.same(parsed.warnings, []);
});

t.test(
  'wrong types, a missing bucket, unknown keys and a bad service account name the key, never the value',
  async (t) => {
    const cases: [string, RegExp][] = [
      ['type: GCS\nconfig:\n  service_account: x\n', /config\.bucket is missing/],
      ['type: GCS\nconfig: {}\n', /config\.bucket is missing/],
      ['type: GCS\nconfig:\n  bucket: b\n  max_retries: lots\n', /config\.max_retries must be a whole number/],
      ['type: GCS\nconfig:\n  bucket: b\n  use_grpc: perhaps\n', /config\.use_grpc must be true or false/],
      ['type: GCS\nconfig:\n  bucket: [a, b]\n', /config\.bucket must be a string/],
      [
        'type: GCS\nconfig:\n  bucket: b\n  http_config: {response_header_timeout: soon}\n',
        /config\.http_config\.response_header_timeout must be a duration/,
      ],
      ['type: GCS\nconfig:\n  bucket: b\n  no_auth: true\n', /unknown key "config\.no_auth"/],
      [
        'type: GCS\nconfig:\n  bucket: b\n  service_account: "{not json SECRETVALUE"\n',
        /config\.service_account is not valid JSON/,
      ],
      [
        'type: GCS\nconfig:\n  bucket: b\n  service_account: "[1, 2]"\n',
        /config\.service_account must be a JSON object/,
      ],
      [
        'type: GCS\nconfig:\n  bucket: b\n  service_account: \'{"private_key": "SECRETVALUE"}\'\n',
        /config\.service_account has no "type"/,
      ],
      [
        'type: GCS\nconfig:\n  bucket: b\n  service_account: \'{"type": "service_account", "private_key": "SECRETVALUE"}\'\n',
        /config\.service_account has no "client_email"/,
      ],
    ];
    for (const [yaml, re] of cases) {
      const err = configError(() => parseObjstoreConfig(yaml, 'object-store.yaml'));
      t.equal(err.code, 'PROMSHIP_CONFIG');
      t.match(err.message, re);
      t.notMatch(err.message, /SECRETVALUE|BEGIN PRIVATE/);
      t.notOk(err.message.includes('\n'), 'one line');
    }
  },
);
