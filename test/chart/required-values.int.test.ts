/**
 * Rendering fails, with a message naming what to set, when a required value is missing, when a
 * value is misspelled (values.schema.json allows no unknown keys) or has the wrong type, and when
 * bucket settings contradict each other.
 */
import t from 'tap';
import { REQUIRED_VALUES, helmTemplate } from '../helpers/helm.ts';

const { cluster, prometheus, bucket } = REQUIRED_VALUES;

t.test('each missing required value is named', async (t) => {
  const cases: [string, object, RegExp][] = [
    ['cluster.id', { prometheus, bucket }, /cluster\.id/],
    ['prometheus.url', { cluster, bucket }, /prometheus\.url/],
    ['a bucket', { cluster, prometheus }, /bucket\.url.*bucket\.existingSecret\.name.*bucket\.objstoreConfig/],
  ];
  for (const [what, values, pattern] of cases) {
    const res = await helmTemplate(t, values);
    t.not(res.code, 0, `rendering without ${what} fails`);
    t.match(res.stderr, /required values are missing/, what);
    t.match(res.stderr, pattern, `the message names ${what}`);
    t.equal(res.stdout, '', 'nothing is rendered');
  }
  const none = await helmTemplate(t, {});
  t.not(none.code, 0);
  for (const p of [/cluster\.id/, /prometheus\.url/, /bucket\.url/])
    t.match(none.stderr, p, 'all missing values are named at once');
});

t.test('an existing Secret without an objstore key does not count as a bucket', async (t) => {
  const res = await helmTemplate(t, {
    cluster,
    prometheus,
    bucket: {
      existingSecret: { name: 'aws-keys', objstoreConfigKey: '', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' },
    },
  });
  t.not(res.code, 0);
  t.match(res.stderr, /bucket\.url/);
});

t.test('misspelled and mistyped values fail schema validation, naming the value', async (t) => {
  const cases: [string, object, RegExp][] = [
    [
      'a misspelled top-level value',
      { ...REQUIRED_VALUES, clusterr: { id: 'x' } },
      /Additional property clusterr is not allowed/,
    ],
    [
      'a misspelled top-level value (image)',
      { ...REQUIRED_VALUES, imgae: { tag: '1' } },
      /Additional property imgae is not allowed/,
    ],
    [
      'a misspelled nested value',
      { ...REQUIRED_VALUES, bucket: { url: 's3://b', s3: { forcePathstyle: true } } },
      /forcePathstyle/,
    ],
    ['a misspelled shipping value', { ...REQUIRED_VALUES, shipping: { blockduration: '1h' } }, /blockduration/],
    ['a port given as text', { ...REQUIRED_VALUES, metricsPort: '8080' }, /metricsPort/],
    [
      'a block duration that does not divide 2h',
      { ...REQUIRED_VALUES, shipping: { blockDuration: '90m' } },
      /shipping\.blockDuration/,
    ],
    ['a duration without a unit', { ...REQUIRED_VALUES, shipping: { shipDelay: '300' } }, /shipping\.shipDelay/],
    [
      'an unknown SSE mode',
      { ...REQUIRED_VALUES, bucket: { url: 's3://b', s3: { sse: 'aws:kms' } } },
      /bucket\.s3\.sse/,
    ],
    ['SSE-KMS without a key', { ...REQUIRED_VALUES, bucket: { url: 's3://b', s3: { sse: 'SSE-KMS' } } }, /sseKmsKeyId/],
    ['a bucket URL of another scheme', { ...REQUIRED_VALUES, bucket: { url: 'gcs://b' } }, /bucket\.url/],
    [
      'an invalid external label name',
      { ...REQUIRED_VALUES, cluster: { id: 'c', externalLabels: { 'bad-name': 'x' } } },
      /externalLabels/,
    ],
    [
      'an external label value with a comma',
      { ...REQUIRED_VALUES, cluster: { id: 'c', externalLabels: { team: 'a,b' } } },
      /externalLabels/,
    ],
    ['an unknown log level', { ...REQUIRED_VALUES, log: { level: 'verbose' } }, /log\.level/],
  ];
  for (const [what, values, pattern] of cases) {
    const res = await helmTemplate(t, values);
    t.not(res.code, 0, `${what} fails`);
    t.match(
      res.stderr,
      /values don't meet the specifications of the schema/,
      `${what}: rejected by values.schema.json`,
    );
    t.match(res.stderr, pattern, `${what}: the message names it`);
  }
});

t.test('contradicting bucket and credential settings fail with a message saying what to choose', async (t) => {
  const cases: [string, object, RegExp][] = [
    [
      'bucket.url and the kubecost-thanos objstore',
      { bucket: { url: 's3://b', existingSecret: { name: 'kubecost-thanos' } } },
      /either bucket\.url or an objstore config/,
    ],
    [
      'bucket.url and an inline objstore',
      { bucket: { url: 's3://b', objstoreConfig: 'type: S3\n' } },
      /either bucket\.url or an objstore config/,
    ],
    [
      'two objstore configs',
      { bucket: { objstoreConfig: 'type: S3\n', existingSecret: { name: 'kubecost-thanos' } } },
      /either bucket\.objstoreConfig or bucket\.existingSecret/,
    ],
    [
      'inline keys and keys from a Secret',
      {
        bucket: {
          url: 's3://b',
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
          existingSecret: { name: 's', objstoreConfigKey: '', accessKeyIdKey: 'id', secretAccessKeyKey: 'key' },
        },
      },
      /either bucket\.credentials or the AWS key names/,
    ],
    [
      'an access key without its secret',
      { bucket: { url: 's3://b', credentials: { accessKeyId: 'a' } } },
      /both accessKeyId and secretAccessKey/,
    ],
    [
      'a session token alone',
      { bucket: { url: 's3://b', credentials: { sessionToken: 't' } } },
      /both accessKeyId and secretAccessKey/,
    ],
    [
      'a session token key alone',
      { bucket: { url: 's3://b', existingSecret: { name: 's', objstoreConfigKey: '', sessionTokenKey: 't' } } },
      /both accessKeyIdKey and secretAccessKeyKey/,
    ],
    [
      'a token from a Secret and a file',
      { bucket, prometheus: { url: prometheus.url, bearerTokenSecret: { name: 's' }, bearerTokenFile: '/t' } },
      /either prometheus\.bearerTokenSecret\.name or prometheus\.bearerTokenFile/,
    ],
    [
      'a password without a user name',
      { bucket, prometheus: { url: prometheus.url, basicAuth: { passwordSecret: { name: 's' } } } },
      /basicAuth\.username is empty/,
    ],
  ];
  for (const [what, values, pattern] of cases) {
    const res = await helmTemplate(t, { cluster, prometheus, ...values });
    t.not(res.code, 0, `${what} fails`);
    t.match(res.stderr, pattern, what);
  }
});

t.test('a ServiceMonitor without the Service it scrapes fails', async (t) => {
  const res = await helmTemplate(t, {
    ...REQUIRED_VALUES,
    service: { enabled: false },
    serviceMonitor: { enabled: true },
  });
  t.not(res.code, 0);
  t.match(res.stderr, /serviceMonitor\.enabled needs service\.enabled/);
});
