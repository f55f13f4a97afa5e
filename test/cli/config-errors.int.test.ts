/**
 * Invalid configuration stops `promship once` and `promship run` at start: exit code 2, exactly
 * one line on stderr naming what to fix, no stack trace, and no secret echoed.
 *
 * Every case goes through what both commands do first, in process: the configuration loader, then
 * `createApp` (the bucket and the cluster's identity); the CLI prints a ConfigError's message as its
 * one line. A few cases, one per stage, also run as real `once` and `run` processes, which prove
 * the exit code and that the line is all they print (starting 28 processes proved no more).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { testSecret } from '../helpers/output-log.ts';
import { freePort, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

/** Cases also run as real processes: one stopped by the loader, one by the identity check, one carrying a secret. */
const IN_REAL_PROCESSES = new Set(['bad cron', 'cluster id disagrees with Prometheus', 'header value with CR LF']);

/** What `once` and `run` do before anything else, in process: the error they stop with, if any. */
async function startError(env: Record<string, string>): Promise<unknown> {
  try {
    const app = await createApp(loadConfig({ env, argv: [] }), pino({ level: 'silent' }));
    await app.close();
    return undefined;
  } catch (err) {
    return err;
  }
}

void t.test('configuration errors exit 2 with one line on stderr', async (t) => {
  const dir = await tempDir(t);
  const prometheus = await startPrometheus({
    dataDir: join(dir, 'prom'),
    externalLabels: { cluster_id: 'cluster-two' },
  });
  t.teardown(() => prometheus.stop());
  const secret = testSecret('objstore-secret');
  const objstore = join(dir, 'objstore.yaml');
  await writeFile(
    objstore,
    `type: S3\nconfig:\n  bucket: thanos\n  endpoint: 127.0.0.1:1\n  access_key: AKIAEXAMPLE\n  secret_key: ${secret}\n  bukket: typo\n`,
  );
  const password = join(dir, 'password');
  await writeFile(password, `${secret}\n`);
  const base = {
    PROMSHIP_PROMETHEUS_URL: prometheus.url,
    PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
  };
  const cases: { name: string; env: Record<string, string | undefined>; says: RegExp }[] = [
    {
      name: 'bad Prometheus URL',
      env: { PROMSHIP_PROMETHEUS_URL: 'localhost:9090/not a url' },
      says: /PROMSHIP_PROMETHEUS_URL/,
    },
    { name: 'bad cron', env: { PROMSHIP_SCHEDULE: '*/5 * *' }, says: /PROMSHIP_SCHEDULE.*cron/ },
    {
      name: 'unknown objstore key',
      env: { PROMSHIP_BUCKET: undefined, PROMSHIP_OBJSTORE_CONFIG_FILE: objstore },
      says: /bukket/,
    },
    { name: 'missing bucket', env: { PROMSHIP_BUCKET: undefined }, says: /no bucket: set PROMSHIP_BUCKET/ },
    // Accepted before, then every request failed as a connection error (exit 1).
    {
      name: 'header name with a space',
      env: { PROMSHIP_PROMETHEUS_HEADERS: `X Tenant=${secret}` },
      says: /PROMSHIP_PROMETHEUS_HEADERS: entry 1 has a name that is not an HTTP header name/,
    },
    {
      name: 'header value with CR LF',
      env: { PROMSHIP_PROMETHEUS_HEADERS: `X-Tenant=${secret}\r\nX-Evil: 1` },
      says: /PROMSHIP_PROMETHEUS_HEADERS: entry 1 has a value with a character/,
    },
    // Ignored without a word before: requests went out unauthenticated.
    {
      name: 'password file without user name',
      env: { PROMSHIP_PROMETHEUS_PASSWORD_FILE: password },
      says: /PROMSHIP_PROMETHEUS_PASSWORD_FILE: basic auth needs PROMSHIP_PROMETHEUS_USERNAME/,
    },
    // These stopped promship before too, but named no setting.
    {
      name: 'bearer token and basic auth',
      env: {
        PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE: password,
        PROMSHIP_PROMETHEUS_USERNAME: 'promship',
        PROMSHIP_PROMETHEUS_PASSWORD_FILE: password,
      },
      says: /PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE: cannot be used with PROMSHIP_PROMETHEUS_USERNAME/,
    },
    {
      name: 'client certificate without key',
      env: { PROMSHIP_PROMETHEUS_CERT_FILE: password },
      says: /PROMSHIP_PROMETHEUS_CERT_FILE: .*PROMSHIP_PROMETHEUS_KEY_FILE is not set/,
    },
    {
      name: 'Prometheus URL with a query',
      env: { PROMSHIP_PROMETHEUS_URL: `${prometheus.url}/?token=${secret}` },
      says: /PROMSHIP_PROMETHEUS_URL: must not have a query/,
    },
    // Stopped promship before too, but named no setting; a missing token file failed every request.
    {
      name: 'missing CA file',
      env: { PROMSHIP_PROMETHEUS_CA_FILE: join(dir, 'no-ca.pem') },
      says: /PROMSHIP_PROMETHEUS_CA_FILE: cannot read '.*no-ca\.pem' \(ENOENT/,
    },
    {
      name: 'missing bearer token file',
      env: { PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE: join(dir, 'no-token') },
      says: /PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE: cannot read '.*no-token' \(ENOENT/,
    },
    // A longer interval fired every millisecond: the agent flooded its log.
    {
      name: 'health line interval a timer cannot hold',
      env: { PROMSHIP_HEALTH_LOG_INTERVAL: '1y' },
      says: /PROMSHIP_HEALTH_LOG_INTERVAL: must be at most 24d/,
    },
    {
      name: 'cluster id disagrees with Prometheus',
      env: { PROMSHIP_CLUSTER_ID: 'cluster-one' },
      says: /PROMSHIP_CLUSTER_ID is 'cluster-one' but .*'cluster-two'/,
    },
  ];
  t.same(
    cases
      .filter((c) => IN_REAL_PROCESSES.has(c.name))
      .map((c) => c.name)
      .sort(),
    [...IN_REAL_PROCESSES].sort(),
    'every case named for real processes exists',
  );
  const envOf = async (c: (typeof cases)[number]): Promise<Record<string, string>> => {
    const env: Record<string, string> = {};
    const merged: Record<string, string | undefined> = {
      ...base,
      PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`,
      ...c.env,
    };
    for (const [k, v] of Object.entries(merged)) if (v !== undefined) env[k] = v;
    return env;
  };

  for (const c of cases) {
    const err = await startError(await envOf(c));
    t.type(err, ConfigError, `${c.name}: a configuration error (${String(err)})`);
    const message = err instanceof Error ? err.message : '';
    t.notMatch(message, /\n/, `${c.name}: one line`);
    t.match(message, c.says, `${c.name}: the line says what to fix`);
    t.notOk(message.includes(secret), `${c.name}: no secret`);
  }

  const timings: string[] = [];
  for (const command of ['once', 'run']) {
    for (const c of cases.filter((c) => IN_REAL_PROCESSES.has(c.name))) {
      // A hang would hit this bound and fail on the exit code.
      const r = await runCli([command], await envOf(c), 60_000);
      const what = `${command}, ${c.name}`;
      t.equal(r.code, 2, `${what}: exit 2`);
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      t.equal(lines.length, 1, `${what}: one line on stderr (${JSON.stringify(r.stderr.slice(0, 400))})`);
      t.match(lines[0] ?? '', /^promship: /, `${what}: the line says who speaks`);
      t.match(lines[0] ?? '', c.says, `${what}: the line says what to fix`);
      t.notMatch(r.stderr + r.stdout, /\n\s+at |Error: /, `${what}: no stack trace`);
      t.notOk((r.stderr + r.stdout).includes(secret), `${what}: no secret`);
      timings.push(`${what}: ${r.endedAt - r.startedAt} ms`);
    }
  }
  t.comment(timings.join('; '));
});
