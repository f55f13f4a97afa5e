/**
 * A URL setting that holds credentials and is wrong in some other way (a bad port, a wrong
 * scheme) must still stop the start naming the setting, without printing the credentials: the
 * start-up line goes to stderr and stays in the pod's log through a crash loop.
 * PROMSHIP_S3_ENDPOINT is checked at start too, since the bucket's logged description names it.
 */
import t from 'tap';
import { loadConfig } from '../../src/config/load.ts';
import { S3Bucket } from '../../src/bucket/s3-bucket.ts';
import { ConfigError } from '../../src/errors.ts';
import { configError } from '../helpers/config-error.ts';

const SECRET = 'S3cretPw';

const refused: [Record<string, string>, RegExp][] = [
  [{ PROMSHIP_PROMETHEUS_URL: `http://admin:${SECRET}@prometheus:99999` }, /^invalid PROMSHIP_PROMETHEUS_URL: /],
  [{ PROMSHIP_PROMETHEUS_URL: `ftp://admin:${SECRET}@prometheus:9090` }, /^invalid PROMSHIP_PROMETHEUS_URL: /],
  [{ PROMSHIP_BUCKET: `s3://AKIAEXAMPLE:${SECRET}@bucket:99999/prefix` }, /^invalid PROMSHIP_BUCKET: /],
  [
    { PROMSHIP_S3_ENDPOINT: `https://AKIAEXAMPLE:${SECRET}@minio:9000` },
    /PROMSHIP_S3_ENDPOINT: must not contain credentials/,
  ],
  [{ PROMSHIP_S3_ENDPOINT: `https://AKIAEXAMPLE:${SECRET}@minio:99999` }, /PROMSHIP_S3_ENDPOINT: is not an endpoint/],
  [{ PROMSHIP_S3_ENDPOINT: 'not a url' }, /PROMSHIP_S3_ENDPOINT: is not an endpoint like https:\/\/host:port/],
  [{ PROMSHIP_S3_ENDPOINT: 'ftp://minio:21' }, /PROMSHIP_S3_ENDPOINT: must be http\(s\)/],
  [{ PROMSHIP_S3_ENDPOINT: `https://minio:9000/?token=${SECRET}` }, /PROMSHIP_S3_ENDPOINT: must not have a query/],
];

t.test('a wrong URL setting is refused in one line that holds no credential', async (t) => {
  for (const [env, line] of refused) {
    const err = configError(() => loadConfig({ env }));
    t.match(err.message, line, JSON.stringify(Object.keys(env)));
    t.notOk(err.message.includes(SECRET), `no credential in: ${err.message}`);
    t.notMatch(err.message, /\n/, 'one line');
  }
});

t.test('good S3 endpoints pass as given', async (t) => {
  for (const endpoint of [
    'https://minio.example:9000',
    'minio:9000',
    'http://10.0.0.5:9000/',
    's3.eu-west-1.amazonaws.com',
  ])
    t.equal(loadConfig({ env: { PROMSHIP_S3_ENDPOINT: endpoint } }).s3Endpoint, endpoint);
  t.equal(loadConfig({ env: { PROMSHIP_S3_ENDPOINT: '  ' } }).s3Endpoint, undefined);
});

t.test('an objstore endpoint that is no URL stops the bucket at start, unquoted', async (t) => {
  const err = t.throws(
    () =>
      new S3Bucket({
        bucket: 'b',
        endpoint: `https://AKIAEXAMPLE:${SECRET}@minio:99999`,
        region: 'us-east-1',
        accessKeyId: 'AKIAEXAMPLE',
        secretAccessKey: 'x',
      }),
  ) as Error;
  t.ok(err instanceof ConfigError, 'a ConfigError');
  t.match(err.message, /The S3 endpoint is not a URL/);
  t.notOk(err.message.includes(SECRET));
});
