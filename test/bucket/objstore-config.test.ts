import t from 'tap';
import { parseObjstoreConfig } from '../../src/bucket/objstore-config.ts';
import { regionFromAwsHost } from '../../src/bucket/s3-settings.ts';
import { describeError } from '../../src/errors.ts';
import { configError } from '../helpers/config-error.ts';

const ACCESS = 'AKIAKUBECOSTEXAMPLE1';
const SECRET = 'kubecost/Secret+Key0123456789abcdefghijKL-promship-test-secret';

t.test("Kubecost's documented object-store.yaml for AWS S3", async (t) => {
  // The shape of Kubecost's "long-term storage on AWS" example secret.
  const yaml = `type: S3
config:
  bucket: "kc-thanos-store"
  endpoint: "s3.amazonaws.com"
  region: "us-east-2"
  access_key: "${ACCESS}"
  secret_key: "${SECRET}"
  insecure: false
  signature_version2: false
  put_user_metadata:
      "X-Amz-Acl": "bucket-owner-full-control"
  http_config:
    idle_conn_timeout: 90s
    response_header_timeout: 2m
    insecure_skip_verify: false
  trace:
    enable: true
  part_size: 134217728
`;
  const { bucket, warnings } = parseObjstoreConfig(yaml, 'kubecost-thanos/object-store.yaml');
  t.same(bucket, {
    kind: 's3',
    options: {
      bucket: 'kc-thanos-store',
      region: 'us-east-2',
      forcePathStyle: false,
      checksumMode: 'default',
      accessKeyId: ACCESS,
      secretAccessKey: SECRET,
      // 128 MiB parts, several in flight, would exceed the chart's 512Mi memory limit.
      partSizeBytes: 16 * 1024 * 1024,
      requestTimeoutMs: 120_000,
      putUserMetadata: { 'X-Amz-Acl': 'bucket-owner-full-control' },
    },
  });
  t.same(warnings, [
    'kubecost-thanos/object-store.yaml: config.part_size 134217728 is lowered to 16777216 (16 MiB) to bound memory: promship holds about 4 parts in memory at once; Thanos keeps using the configured size',
    'kubecost-thanos/object-store.yaml: config.trace.enable is not supported and is ignored',
  ]);
});

t.test('regional AWS endpoints give the region; the SDK builds the URL', async (t) => {
  const parse = (endpoint: string, region = '') =>
    parseObjstoreConfig(`type: s3\nconfig: {bucket: b, endpoint: ${endpoint}, region: "${region}"}\n`, 'f').bucket;
  t.same(parse('s3.eu-west-1.amazonaws.com'), {
    kind: 's3',
    options: { bucket: 'b', region: 'eu-west-1', forcePathStyle: false, checksumMode: 'default' },
  });
  t.same(parse('s3-us-west-2.amazonaws.com'), {
    kind: 's3',
    options: { bucket: 'b', region: 'us-west-2', forcePathStyle: false, checksumMode: 'default' },
  });
  // No region anywhere: left to the SDK, which then follows S3's region redirects.
  t.same(parse('s3.amazonaws.com'), {
    kind: 's3',
    options: { bucket: 'b', forcePathStyle: false, checksumMode: 'default' },
  });
  t.same(parse('s3.amazonaws.com', 'ap-south-1'), {
    kind: 's3',
    options: { bucket: 'b', region: 'ap-south-1', forcePathStyle: false, checksumMode: 'default' },
  });
});

t.test('AWS endpoints that name a region are signed for it, as Thanos (minio-go) reads the host', async (t) => {
  const parse = (endpoint: string, region = '') => {
    const b = parseObjstoreConfig(
      `type: s3\nconfig: {bucket: b, endpoint: ${endpoint}, region: "${region}"}\n`,
      'f',
    ).bucket;
    return b.kind === 's3' ? b.options : undefined;
  };
  for (const [endpoint, region] of [
    ['s3.dualstack.eu-west-1.amazonaws.com', 'eu-west-1'],
    ['s3-fips.us-gov-west-1.amazonaws.com', 'us-gov-west-1'],
    ['s3-fips.dualstack.us-east-2.amazonaws.com', 'us-east-2'],
    ['s3.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
    ['s3.dualstack.cn-northwest-1.amazonaws.com.cn', 'cn-northwest-1'],
    ['bucket.vpce-0a1b2c3d-abcdefg.s3.eu-central-1.vpce.amazonaws.com', 'eu-central-1'],
    ['s3.dualstack.eu-west-1.amazonaws.com:443', 'eu-west-1'],
  ] as const) {
    t.equal(parse(endpoint)?.region, region, endpoint);
    t.equal(parse(endpoint, 'ap-south-1')?.region, 'ap-south-1', `${endpoint}: an explicit region wins`);
  }
  // Hosts that name no region keep minio-go's us-east-1.
  for (const endpoint of [
    's3-external-1.amazonaws.com',
    'minio.example:9000',
    'my-elb-123.eu-west-1.elb.amazonaws.com',
  ]) {
    t.equal(parse(endpoint)?.region, 'us-east-1', endpoint);
  }
  t.equal(regionFromAwsHost('https://s3.dualstack.eu-west-1.amazonaws.com'), 'eu-west-1', 'a URL works too');
  t.equal(regionFromAwsHost('s3.website-us-east-1.amazonaws.com'), undefined, 'a website host is no region');
  t.equal(regionFromAwsHost('s3.eu-west-1.amazonaws.com.evil.example'), undefined, 'a look-alike host is no region');
});

t.test('MinIO-style endpoint: insecure means http, path style, prefix, SSE, retries', async (t) => {
  const yaml = `
type: s3
prefix: /clusters/two/
config:
  bucket: thanos
  endpoint: minio.monitoring.svc:9000
  insecure: yes
  bucket_lookup_type: path
  access_key: 0123
  secret_key: 1e5
  session_token: ~
  max_retries: 3
  sse_config:
    type: SSE-KMS
    kms_key_id: alias/thanos
    kms_encryption_context:
      team: obs
  http_config:
    response_header_timeout: 30s
`;
  const { bucket, warnings } = parseObjstoreConfig(yaml, 'objstore.yml');
  t.same(bucket, {
    kind: 's3',
    options: {
      bucket: 'thanos',
      prefix: 'clusters/two',
      endpoint: 'minio.monitoring.svc:9000',
      insecure: true,
      region: 'us-east-1',
      forcePathStyle: true,
      checksumMode: 'when-required',
      // Scalars keep the exact text written, as Go's YAML decoder gives them to Thanos.
      accessKeyId: '0123',
      secretAccessKey: '1e5',
      maxAttempts: 3,
      sse: { type: 'SSE-KMS', kmsKeyId: 'alias/thanos', encryptionContext: { team: 'obs' } },
      requestTimeoutMs: 30_000,
    },
  });
  t.same(warnings, []);
});

t.test('bucket_lookup_type auto and virtual-hosted', async (t) => {
  const style = (lookup: string, endpoint: string) => {
    const { bucket } = parseObjstoreConfig(
      `type: S3\nconfig:\n  bucket: b\n  endpoint: ${endpoint}\n  bucket_lookup_type: ${lookup}\n`,
      'f',
    );
    return bucket.kind === 's3' ? bucket.options.forcePathStyle : undefined;
  };
  // minio-go: auto is path style except on AWS (and a few other clouds' hosts).
  t.equal(style('auto', 'ceph.example.com'), true);
  t.equal(style('auto', 's3.us-east-1.amazonaws.com'), false);
  t.equal(style('virtual-hosted', 'ceph.example.com'), false);
  t.equal(style('path', 's3.us-east-1.amazonaws.com'), true);
});

t.test('valid Thanos settings promship ignores come back as warnings naming them', async (t) => {
  const yaml = `type: S3
config:
  bucket: b
  endpoint: storage.example.com
  signature_version2: true
  list_objects_version: v1
  disable_multipart: true
  sts_endpoint: https://sts.example.com
  disable_dualstack: true
  send_content_md5: false
  put_user_metadata:
    X-Amz-Tagging: "a=b"
  http_config:
    idle_conn_timeout: 90s
    max_idle_conns: 5
    insecure_skip_verify: true
    tls_config:
      ca_file: /etc/ca.pem
      insecure_skip_verify: false
`;
  const { bucket, warnings } = parseObjstoreConfig(yaml, 'f.yaml');
  t.equal(bucket.kind, 's3');
  t.same(
    warnings.map((w) => w.replace(/ .*/, '')).sort(),
    [
      'f.yaml: config.disable_multipart',
      'f.yaml: config.http_config.insecure_skip_verify',
      'f.yaml: config.http_config.max_idle_conns',
      'f.yaml: config.http_config.tls_config.ca_file',
      'f.yaml: config.list_objects_version',
      'f.yaml: config.put_user_metadata.X-Amz-Tagging',
      'f.yaml: config.signature_version2',
      'f.yaml: config.sts_endpoint',
    ]
      .map((w) => w.replace(/ .*/, ''))
      .sort(),
  );
  t.equal(warnings.length, 8);
  for (const w of warnings) t.match(w, /ignored/);
  if (bucket.kind === 's3') t.equal(bucket.options.putUserMetadata, undefined, 'unsupported header not passed on');
});

t.test('FILESYSTEM type', async (t) => {
  t.same(parseObjstoreConfig('type: filesystem\nconfig:\n  directory: /var/thanos\nprefix: a/b\n', 'f'), {
    bucket: { kind: 'filesystem', dir: '/var/thanos', prefix: 'a/b' },
    warnings: [],
  });
  const lenient = parseObjstoreConfig('type: FILESYSTEM\nconfig:\n  directory: d\n  extra: 1\n', 'f');
  t.same(lenient.bucket, { kind: 'filesystem', dir: 'd' });
  t.same(lenient.warnings, ['f: config.extra is not a FILESYSTEM setting and is ignored']);
  t.match(
    configError(() => parseObjstoreConfig('type: FILESYSTEM\nconfig: {}\n', 'f')).message,
    /config\.directory is missing/,
  );
});

t.test('unknown keys are errors naming the key and the file', async (t) => {
  const cases: [string, RegExp][] = [
    [
      `type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  storage_class: GLACIER\n`,
      /unknown key "config\.storage_class"/,
    ],
    [
      `type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  http_config:\n    idle_conn_timout: 1m\n`,
      /unknown key "config\.http_config\.idle_conn_timout"/,
    ],
    [
      `type: S3\nconfig: {bucket: b, endpoint: e, sse_config: {type: SSE-S3, kms_key: x}}\n`,
      /unknown key "config\.sse_config\.kms_key"/,
    ],
    [`type: S3\nconfg:\n  bucket: b\n`, /unknown key "confg"/],
  ];
  for (const [yaml, re] of cases) {
    const err = configError(() => parseObjstoreConfig(yaml, 'secret/object-store.yaml'));
    t.equal(err.code, 'PROMSHIP_CONFIG');
    t.match(err.message, re);
    t.match(err.message, /secret\/object-store\.yaml/);
  }
});

t.test('unsupported and unknown store types, SSE-C and invalid values are clear errors', async (t) => {
  const cases: [string, RegExp][] = [
    ['type: SWIFT\nconfig:\n  container: b\n', /SWIFT is not supported by promship yet/],
    ['type: swift\nconfig: {}\n', /SWIFT is not supported by promship yet/],
    ['type: FTP\nconfig: {}\n', /unknown object store type "FTP"/],
    ['config:\n  bucket: b\n', /`type` is missing/],
    ['', /is empty/],
    [
      'type: S3\nconfig: {bucket: b, endpoint: e, sse_config: {type: SSE-C, encryption_key: /k}}\n',
      /SSE-C .*not supported/,
    ],
    ['type: S3\nconfig: {bucket: b, endpoint: e, sse_config: {type: SSE-KMS}}\n', /kms_key_id must be set/],
    [
      'type: S3\nconfig: {bucket: b, endpoint: e, bucket_lookup_type: dns}\n',
      /config\.bucket_lookup_type must be auto, virtual-hosted or path/,
    ],
    ['type: S3\nconfig: {bucket: b, endpoint: e, insecure: maybe}\n', /config\.insecure must be true or false/],
    ['type: S3\nconfig: {bucket: b, endpoint: e, part_size: big}\n', /config\.part_size must be a whole number/],
    [
      'type: S3\nconfig: {bucket: b, endpoint: e, http_config: {idle_conn_timeout: soon}}\n',
      /config\.http_config\.idle_conn_timeout must be a duration/,
    ],
    ['type: S3\nconfig: {bucket: b, endpoint: e, list_objects_version: v3}\n', /list_objects_version must be v1 or v2/],
    ['type: S3\nconfig: {bucket: b}\n', /config\.endpoint is missing/],
    ['type: S3\nconfig: {endpoint: e}\n', /config\.bucket is missing/],
    ['type: S3\nconfig: {bucket: b, endpoint: "https://minio:9000"}\n', /host\[:port\] without scheme/],
    ['type: S3\nconfig: {bucket: b, endpoint: e, access_key: a}\n', /secret_key is not/],
    [
      'type: S3\nconfig: {bucket: b, endpoint: e, aws_sdk_auth: true, access_key: a, secret_key: s}\n',
      /mutually exclusive/,
    ],
    ['type: S3\nconfig: {bucket: b, bucket: c}\n', /not valid YAML \(DUPLICATE_KEY at line 2/],
    ['type: S3\nconfig: [1, 2]\n', /config must be a mapping/],
  ];
  for (const [yaml, re] of cases) {
    const err = configError(() => parseObjstoreConfig(yaml, 'o.yaml'));
    t.match(err.message, re, JSON.stringify(yaml));
    t.match(err.message, /^objstore config o\.yaml: /);
  }
});

t.test('errors never echo secret values', async (t) => {
  const cases = [
    // A typo next to the secrets.
    `type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: ${ACCESS}\n  secret_key: ${SECRET}\n  secret_kye: ${SECRET}\n`,
    // A secret where a mapping or a boolean belongs.
    `type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: ${ACCESS}\n  secret_key: ${SECRET}\n  http_config: ${SECRET}\n`,
    `type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: ${ACCESS}\n  secret_key: ${SECRET}\n  insecure: ${SECRET}\n`,
    // Broken YAML on the secret's own line.
    `type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: ${ACCESS}\n  secret_key: "${SECRET}\n  region: x\n`,
    `type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: ${ACCESS}\n  secret_key: ${SECRET}: x\n`,
    `type: S3\nconfig:\n  access_key: ${ACCESS}\n  secret_key: ${SECRET}\n  sse_config: {type: SSE-C, encryption_key: ${SECRET}}\n  bucket: b\n  endpoint: e\n`,
  ];
  for (const yaml of cases) {
    const err = configError(() => parseObjstoreConfig(yaml, 'o.yaml'));
    for (const text of [err.message, describeError(err), JSON.stringify(err)]) {
      t.notMatch(text, SECRET.slice(0, 20), 'no secret key');
      t.notMatch(text, ACCESS, 'no access key');
    }
  }
});

t.test('a response_header_timeout longer than a Node.js timer holds is clamped, not rejected', async (t) => {
  // Thanos accepts any Go duration here; Node would fire (or cut) a longer timer.
  const timeout = (d: string) => {
    const { bucket } = parseObjstoreConfig(
      `type: S3\nconfig:\n  bucket: b\n  endpoint: s3.amazonaws.com\n  http_config:\n    response_header_timeout: ${d}\n`,
      'o.yaml',
    );
    return bucket.kind === 's3' ? bucket.options.requestTimeoutMs : undefined;
  };
  t.equal(timeout('1y'), 2 ** 31 - 1);
  t.equal(timeout('24d'), 24 * 86_400_000);
});
