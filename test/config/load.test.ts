import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { MAX_TIMER_MS } from '../../src/config/duration.ts';
import { loadConfig } from '../../src/config/load.ts';
import { options, type OptionSpec } from '../../src/config/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { configError } from '../helpers/config-error.ts';
import { tempDir } from '../helpers/tmp.ts';

const env = (e: Record<string, string>) => ({ env: e });

t.test('defaults', async (t) => {
  const c = loadConfig(env({}));
  t.equal(c.prometheusUrl, 'http://localhost:9090');
  t.equal(c.blockDuration, 2 * 3_600_000);
  t.equal(c.clusterLabel, 'cluster_id');
  t.equal(c.bucket, undefined);
  t.same(c.externalLabels, {});
  t.equal(c.logFormat, 'json');
});

t.test('environment and flags, flag wins', async (t) => {
  const c = loadConfig({
    env: {
      PROMSHIP_BLOCK_DURATION: '30m',
      PROMSHIP_BUCKET: 's3://my-bucket/some/prefix/',
      PROMSHIP_EXTERNAL_LABELS: 'region=eu, env=prod',
    },
    argv: ['--block-duration', '15m', '--cluster-id=c2', '--prometheus-insecure-skip-verify'],
  });
  t.equal(c.blockDuration, 15 * 60_000);
  t.equal(c.clusterId, 'c2');
  t.equal(c.prometheusInsecureSkipVerify, true);
  t.same(c.bucket, { kind: 's3', bucket: 'my-bucket', prefix: 'some/prefix' });
  t.same(c.externalLabels, { region: 'eu', env: 'prod' });
  t.same(loadConfig(env({ PROMSHIP_BUCKET: 'file:///var/lib/blocks/' })).bucket, {
    kind: 'file',
    dir: '/var/lib/blocks',
  });
});

const bad: [Record<string, string>, RegExp][] = [
  [{ PROMSHIP_BLOCK_DURATION: '7m' }, /PROMSHIP_BLOCK_DURATION: must divide 2h/],
  [{ PROMSHIP_BLOCK_DURATION: '3h' }, /PROMSHIP_BLOCK_DURATION: must divide 2h/],
  [{ PROMSHIP_BLOCK_DURATION: 'soon' }, /PROMSHIP_BLOCK_DURATION: 'soon' is not a duration/],
  [{ PROMSHIP_PROMETHEUS_URL: 'prometheus:9090' }, /PROMSHIP_PROMETHEUS_URL: .* is not an http\(s\) URL/],
  [{ PROMSHIP_PROMETHEUS_URL: 'http://user:hunter2@prom:9090' }, /must not contain credentials/],
  [
    { PROMSHIP_BUCKET: 'gcs://bucket' },
    /PROMSHIP_BUCKET: 'gcs:' buckets are not supported; use s3:\/\/, gs:\/\/, azblob:\/\/ or file:\/\//,
  ],
  [{ PROMSHIP_BUCKET: 'gs://Bad_Bucket_' }, /PROMSHIP_BUCKET: .*names no valid GCS bucket/],
  [{ PROMSHIP_BUCKET: 'file://relative/dir' }, /PROMSHIP_BUCKET: .* absolute path/],
  [{ PROMSHIP_BUCKET: 's3:///prefix' }, /PROMSHIP_BUCKET: .*names no bucket/],
  [{ PROMSHIP_EXTERNAL_LABELS: 'region' }, /PROMSHIP_EXTERNAL_LABELS: 'region' is not a label/],
  [{ PROMSHIP_EXTERNAL_LABELS: '9x=1' }, /'9x' is not a valid label name/],
  [{ PROMSHIP_CLUSTER_LABEL: 'cluster-id' }, /PROMSHIP_CLUSTER_LABEL: must be a label name/],
  [{ PROMSHIP_LOG_FORMAT: 'xml' }, /PROMSHIP_LOG_FORMAT/],
  [{ PROMSHIP_PROMETHEUS_INSECURE_SKIP_VERIFY: 'maybe' }, /is not a boolean/],
  // Durations that become timers: Node fires a longer timer after 1 ms.
  [{ PROMSHIP_HEALTH_LOG_INTERVAL: '1y' }, /PROMSHIP_HEALTH_LOG_INTERVAL: must be at most 24d/],
  [{ PROMSHIP_HEALTH_LOG_INTERVAL: '24d1ms' }, /PROMSHIP_HEALTH_LOG_INTERVAL: must be at most 24d/],
  [{ PROMSHIP_PROMETHEUS_TIMEOUT: '30d' }, /PROMSHIP_PROMETHEUS_TIMEOUT: must be at most 24d/],
  [{ PROMSHIP_S3_REQUEST_TIMEOUT: '4w' }, /PROMSHIP_S3_REQUEST_TIMEOUT: must be at most 24d/],
];

t.test('invalid values name the variable and the problem in one line', async (t) => {
  for (const [e, re] of bad) {
    const err = t.throws(() => loadConfig(env(e))) as unknown;
    t.ok(err instanceof ConfigError, `${JSON.stringify(e)} gives a ConfigError`);
    const msg = (err as Error).message;
    t.match(msg, re);
    t.notMatch(msg, /\n/, 'one line');
  }
});

t.test('flags are checked too', async (t) => {
  t.throws(() => loadConfig({ env: {}, argv: ['--no-such-flag=1'] }), /unknown flag --no-such-flag/);
  t.throws(() => loadConfig({ env: {}, argv: ['--block-duration=5s'] }), /--block-duration: must divide 2h/);
  t.throws(() => loadConfig({ env: {}, argv: ['--cluster-id'] }), /--cluster-id needs a value/);
});

t.test('a secret header value is not echoed', async (t) => {
  const err = t.throws(() =>
    loadConfig(env({ PROMSHIP_PROMETHEUS_HEADERS: 'X-Scope-OrgID=a,Authorization Bearer s3cr3t' })),
  ) as Error;
  t.match(err.message, /PROMSHIP_PROMETHEUS_HEADERS: entry 2 is not a header/);
  t.notMatch(err.message, /s3cr3t/);
});

t.test('durations that become timers go up to 24d, which a Node.js timer holds', async (t) => {
  const c = loadConfig(
    env({
      PROMSHIP_HEALTH_LOG_INTERVAL: '24d',
      PROMSHIP_PROMETHEUS_TIMEOUT: '24d',
      PROMSHIP_S3_REQUEST_TIMEOUT: '24d',
    }),
  );
  for (const ms of [c.healthLogInterval, c.prometheusTimeout, c.s3RequestTimeout]) {
    t.equal(ms, 24 * 86_400_000);
    t.ok(ms <= MAX_TIMER_MS, 'fits a timer');
  }
  // Not timers: times compared with the clock, so long values stay allowed.
  t.equal(loadConfig(env({ PROMSHIP_RETRY_BACKOFF_MAX: '30d' })).retryBackoffMax, 30 * 86_400_000);
});

t.test('extra headers must be ones the HTTP client can send and promship does not set', async (t) => {
  const headers = (h: string) => loadConfig(env({ PROMSHIP_PROMETHEUS_HEADERS: h })).prometheusHeaders;
  t.same(headers("X-Scope-OrgID=team-a, Authorization=Bearer abc,X-Odd!#$%&'*+.^_`|~=caf\u00e9"), {
    'X-Scope-OrgID': 'team-a',
    Authorization: 'Bearer abc',
    "X-Odd!#$%&'*+.^_`|~": 'caf\u00e9',
  });
  // A header-name token may look like an array index; entries keep their order and names.
  t.same(Object.keys(headers('X-B=1,123=2')), ['123', 'X-B']);
  const secret = 's3cr3t-header-value';
  const cases: [string, RegExp][] = [
    // Was accepted, then failed every request as 'the connection failed (invalid header key)'.
    [`X Tenant=${secret}`, /entry 1 has a name that is not an HTTP header name/],
    [`X-Ok=1,Authorization: Bearer ${secret}=x`, /entry 2 has a name that is not an HTTP header name/],
    [`X-Tenant=a${secret}\r\nX-Evil: 1`, /entry 1 has a value with a character HTTP headers cannot carry/],
    [`X-Tenant=${secret}\u0000`, /entry 1 has a value with a character/],
    [`X-Tenant=${secret}\u0100`, /entry 1 has a value with a character/],
    [
      `Content-Type=text/plain,X-Tenant=${secret}`,
      /entry 1 sets Content-Type, which promship or its HTTP client sets itself/,
    ],
    [`x-prometheus-remote-read-version=0.2.0`, /entry 1 sets x-prometheus-remote-read-version, which promship/],
    [`X-A=${secret},HOST=prom`, /entry 2 sets HOST, which promship or its HTTP client/],
    [`X-A=${secret},Transfer-Encoding=chunked`, /entry 2 sets Transfer-Encoding/],
    [`X-Tenant=${secret},x-tenant=b`, /entry 2 repeats the name of entry 1/],
    [`X-Tenant=a,X-Tenant=${secret}`, /entry 2 repeats the name of entry 1/],
  ];
  for (const [value, re] of cases) {
    const err = configError(() => headers(value));
    t.match(err.message, /^invalid PROMSHIP_PROMETHEUS_HEADERS: /, JSON.stringify(value));
    t.match(err.message, re, JSON.stringify(value));
    t.notMatch(err.message, /s3cr3t|X-Evil/, 'no header value or part of one is echoed');
    t.notMatch(err.message, /[\r\n]/, 'one line');
  }
});

t.test('a backfill no longer than the ship delay is refused: no window would ever ship', async (t) => {
  const err = configError(() => loadConfig(env({ PROMSHIP_MAX_BACKFILL: '10m', PROMSHIP_SHIP_DELAY: '10m' })));
  t.match(err.message, /^invalid PROMSHIP_MAX_BACKFILL: must be longer than PROMSHIP_SHIP_DELAY: /);
  t.equal(loadConfig(env({ PROMSHIP_MAX_BACKFILL: '11m', PROMSHIP_SHIP_DELAY: '10m' })).maxBackfill, 660_000);
});

t.test('a basic-auth password file needs a user name', async (t) => {
  // It was ignored without a word: requests went out unauthenticated.
  const err = configError(() => loadConfig(env({ PROMSHIP_PROMETHEUS_PASSWORD_FILE: '/run/secrets/password' })));
  t.equal(
    err.message,
    'invalid PROMSHIP_PROMETHEUS_PASSWORD_FILE: basic auth needs PROMSHIP_PROMETHEUS_USERNAME too; set it, or unset PROMSHIP_PROMETHEUS_PASSWORD_FILE',
  );
  const byFlag = configError(() => loadConfig({ env: {}, argv: ['--prometheus-password-file=/run/secrets/password'] }));
  t.match(
    byFlag.message,
    /^invalid --prometheus-password-file: basic auth needs PROMSHIP_PROMETHEUS_USERNAME too/,
    'names each setting as it was given',
  );
  const c = loadConfig(
    env({ PROMSHIP_PROMETHEUS_PASSWORD_FILE: '/run/secrets/password', PROMSHIP_PROMETHEUS_USERNAME: 'promship' }),
    { checkFiles: false },
  );
  t.equal(c.prometheusPasswordFile, '/run/secrets/password');
  t.equal(
    loadConfig(env({ PROMSHIP_PROMETHEUS_USERNAME: 'promship' })).prometheusUsername,
    'promship',
    'a user name alone is basic auth with an empty password',
  );
});

t.test('Prometheus auth and client certificate settings that do not go together name every setting', async (t) => {
  const token = { PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE: '/run/secrets/token' };
  const cases: [Record<string, string>, string][] = [
    // These stopped promship before too, but in words that named no setting.
    [
      {
        ...token,
        PROMSHIP_PROMETHEUS_USERNAME: 'promship',
        PROMSHIP_PROMETHEUS_PASSWORD_FILE: '/run/secrets/password',
      },
      'invalid PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE: cannot be used with PROMSHIP_PROMETHEUS_USERNAME: Prometheus gets either a bearer token or basic auth; unset one',
    ],
    [
      { ...token, PROMSHIP_PROMETHEUS_PASSWORD_FILE: '/run/secrets/password' },
      'invalid PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE: cannot be used with PROMSHIP_PROMETHEUS_PASSWORD_FILE: Prometheus gets either a bearer token or basic auth; unset one',
    ],
    [
      { PROMSHIP_PROMETHEUS_CERT_FILE: '/tls/tls.crt' },
      'invalid PROMSHIP_PROMETHEUS_CERT_FILE: a client certificate needs both PROMSHIP_PROMETHEUS_CERT_FILE and PROMSHIP_PROMETHEUS_KEY_FILE, and PROMSHIP_PROMETHEUS_KEY_FILE is not set',
    ],
    [
      { PROMSHIP_PROMETHEUS_KEY_FILE: '/tls/tls.key' },
      'invalid PROMSHIP_PROMETHEUS_KEY_FILE: a client certificate needs both PROMSHIP_PROMETHEUS_CERT_FILE and PROMSHIP_PROMETHEUS_KEY_FILE, and PROMSHIP_PROMETHEUS_CERT_FILE is not set',
    ],
    // Was replaced without a word by the header promship makes.
    [
      { ...token, PROMSHIP_PROMETHEUS_HEADERS: 'X-Scope-OrgID=a,authorization=Bearer s3cr3t' },
      'invalid PROMSHIP_PROMETHEUS_HEADERS: sets Authorization, which PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE sets too; use one or the other',
    ],
    [
      { PROMSHIP_PROMETHEUS_USERNAME: 'promship', PROMSHIP_PROMETHEUS_HEADERS: 'Authorization=Bearer s3cr3t' },
      'invalid PROMSHIP_PROMETHEUS_HEADERS: sets Authorization, which PROMSHIP_PROMETHEUS_USERNAME sets too; use one or the other',
    ],
  ];
  for (const [e, message] of cases) t.equal(configError(() => loadConfig(env(e))).message, message, JSON.stringify(e));
  t.match(
    configError(() =>
      loadConfig({
        env: { PROMSHIP_PROMETHEUS_KEY_FILE: '/tls/tls.key' },
        argv: ['--prometheus-cert-file', '/tls/tls.crt', '--prometheus-key-file='],
      }),
    ).message,
    /^invalid --prometheus-cert-file: a client certificate needs both --prometheus-cert-file and --prometheus-key-file, and --prometheus-key-file is not set$/,
    'flags are named as flags',
  );
  const c = loadConfig(
    env({
      PROMSHIP_PROMETHEUS_CERT_FILE: '/tls/tls.crt',
      PROMSHIP_PROMETHEUS_KEY_FILE: '/tls/tls.key',
      PROMSHIP_PROMETHEUS_HEADERS: 'Authorization=Bearer abc',
    }),
    { checkFiles: false },
  );
  t.same(
    [c.prometheusCertFile, c.prometheusKeyFile, c.prometheusHeaders],
    ['/tls/tls.crt', '/tls/tls.key', { Authorization: 'Bearer abc' }],
    'a pair, and a static Authorization header without auth settings',
  );
});

t.test('the Prometheus URL is a base URL: no query or fragment', async (t) => {
  // Accepted here before; only the client refused it, naming no setting.
  for (const url of ['http://prom:9090/?token=s3cr3t', 'http://prom:9090/prometheus#s3cr3t']) {
    const err = configError(() => loadConfig(env({ PROMSHIP_PROMETHEUS_URL: url })));
    t.match(
      err.message,
      /^invalid PROMSHIP_PROMETHEUS_URL: must not have a query \(\?…\) or fragment \(#…\); give the base URL only/,
    );
    t.notMatch(err.message, /s3cr3t/, 'the URL is not quoted: a query may carry a token');
  }
  t.equal(
    loadConfig(env({ PROMSHIP_PROMETHEUS_URL: 'http://prom:9090/prometheus/?' })).prometheusUrl,
    'http://prom:9090/prometheus',
    'an empty query is dropped',
  );
  t.equal(loadConfig(env({ PROMSHIP_PROMETHEUS_URL: 'https://prom:443/' })).prometheusUrl, 'https://prom');
});

t.test('file settings must name a readable file at start', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'file');
  await writeFile(file, 'contents\n');
  const missing = join(dir, 'missing');
  // Each file setting with whatever it needs beside it, the file under test missing.
  const settings: [string, Record<string, string>][] = [
    ['PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE', {}],
    ['PROMSHIP_PROMETHEUS_PASSWORD_FILE', { PROMSHIP_PROMETHEUS_USERNAME: 'promship' }],
    ['PROMSHIP_PROMETHEUS_CA_FILE', {}],
    ['PROMSHIP_PROMETHEUS_CERT_FILE', { PROMSHIP_PROMETHEUS_KEY_FILE: file }],
    ['PROMSHIP_PROMETHEUS_KEY_FILE', { PROMSHIP_PROMETHEUS_CERT_FILE: file }],
    ['PROMSHIP_OBJSTORE_CONFIG_FILE', {}],
    ['PROMSHIP_RELABEL_CONFIG_FILE', {}],
  ];
  t.same(
    settings.map(([v]) => v).sort(),
    (Object.values(options) as OptionSpec<unknown>[])
      .filter((o) => o.file === true)
      .map((o) => o.env)
      .sort(),
    'every file setting is covered',
  );
  for (const [variable, beside] of settings) {
    // A CA file that was missing stopped promship before, in words that named no setting; a
    // token or password file failed every request instead.
    const err = configError(() => loadConfig(env({ ...beside, [variable]: missing })));
    t.equal(err.message, `invalid ${variable}: cannot read '${missing}' (ENOENT: no such file)`);
    t.ok(loadConfig(env({ ...beside, [variable]: file })), `${variable} naming a readable file is accepted`);
    t.ok(loadConfig(env({ ...beside, [variable]: missing }), { checkFiles: false }), 'not checked when told so');
  }
  t.equal(
    configError(() => loadConfig(env({ PROMSHIP_PROMETHEUS_CA_FILE: dir }))).message,
    `invalid PROMSHIP_PROMETHEUS_CA_FILE: '${dir}' is a directory, not a file`,
  );
  t.match(
    configError(() => loadConfig({ env: {}, argv: [`--prometheus-bearer-token-file=${file}/token`] })).message,
    /^invalid --prometheus-bearer-token-file: cannot read '.*\/file\/token' \(ENOTDIR: a part of the path is not a directory\)$/,
  );
  // Checked only when the settings between them are right, so the line names the real problem.
  t.match(
    configError(() => loadConfig(env({ PROMSHIP_PROMETHEUS_CERT_FILE: missing }))).message,
    /KEY_FILE is not set/,
  );
});
