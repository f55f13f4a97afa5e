/**
 * Credentials: the bearer token file is read on every request (rotation works), basic auth is
 * sent as RFC 7617 says, and no credential ever shows up in an error message, even when the
 * server echoes it back.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { describeError } from '../../src/errors.ts';
import { RemoteReadError } from '../../src/prometheus/errors.ts';
import { RemoteReadClient, type RemoteReadClientOptions } from '../../src/prometheus/remote-read.ts';
import type { Window } from '../../src/series.ts';
import {
  chunkedReadResponse,
  frame,
  startFakeServer,
  streamed,
  STREAMED_CONTENT_TYPE,
} from '../helpers/remote-read-wire.ts';
import { tempDir } from '../helpers/tmp.ts';

const WINDOW: Window = { start: Date.UTC(2024, 5, 1, 0), end: Date.UTC(2024, 5, 1, 2) };
// The marker lets scripts/check-no-secrets.ts find these in any output of the suite.
const TOKEN = 'tok-3f9a7c1e-SECRET-promship-test-secret';
const PASSWORD = 'pa55-w0rd-SECRET-promship-test-secret';
const TENANT = 'tenant-header-SECRET-promship-test-secret';
const okResponse = streamed([frame(chunkedReadResponse([]))]);

async function drain(client: RemoteReadClient): Promise<void> {
  for await (const _ of client.read(WINDOW)) {
    // drain
  }
}

async function readError(options: RemoteReadClientOptions): Promise<RemoteReadError> {
  const client = new RemoteReadClient(options);
  try {
    await drain(client);
  } catch (err) {
    if (err instanceof RemoteReadError) return err;
    throw err;
  } finally {
    await client.close();
  }
  throw new Error('the read was expected to fail');
}

t.test('the bearer token file is re-read for each request', async (t) => {
  const dir = await tempDir(t);
  const tokenFile = join(dir, 'token');
  const server = await startFakeServer(t, okResponse);
  const client = new RemoteReadClient({ url: server.url, timeoutMs: 5000, bearerTokenFile: tokenFile });
  t.teardown(() => client.close());
  await writeFile(tokenFile, 'first-token\n');
  await drain(client);
  await writeFile(tokenFile, 'rotated-token');
  await drain(client);
  await client.externalLabels().catch(() => undefined);
  t.same(
    server.requests.map((r) => r.headers.authorization),
    ['Bearer first-token', 'Bearer rotated-token', 'Bearer rotated-token'],
  );
});

t.test('basic auth from a password or a password file', async (t) => {
  const dir = await tempDir(t);
  const passwordFile = join(dir, 'password');
  await writeFile(passwordFile, `${PASSWORD}\n`);
  const server = await startFakeServer(t, okResponse);
  for (const basicAuth of [
    { username: 'promship', password: PASSWORD },
    { username: 'promship', passwordFile },
  ]) {
    const client = new RemoteReadClient({ url: server.url, timeoutMs: 5000, basicAuth });
    await drain(client);
    await client.close();
  }
  // RFC 7617: base64 of "user:password".
  const expected = `Basic ${Buffer.from(`promship:${PASSWORD}`).toString('base64')}`;
  t.same(
    server.requests.map((r) => r.headers.authorization),
    [expected, expected],
  );
});

t.test('a missing token file fails with its own code and names the file', async (t) => {
  const dir = await tempDir(t);
  const server = await startFakeServer(t, okResponse);
  const err = await readError({ url: server.url, timeoutMs: 5000, bearerTokenFile: join(dir, 'missing') });
  t.equal(err.code, 'PROMSHIP_REMOTE_READ_CREDENTIALS');
  t.match(err.message, join(dir, 'missing'));
  t.equal(server.requests.length, 0, 'nothing was sent');
});

t.test('credentials never appear in error messages, even when the server echoes them', async (t) => {
  const dir = await tempDir(t);
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, TOKEN);
  const echo = (req: { headers: Record<string, unknown> }): string =>
    `you sent authorization=${String(req.headers.authorization)} x-scope-orgid=${String(req.headers['x-scope-orgid'])}`;
  const behaviours = {
    http401: startFakeServer(t, (req, res) => {
      res.writeHead(401);
      res.end(echo(req));
    }),
    wrongContentType: startFakeServer(t, (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(echo(req));
    }),
    midStream: startFakeServer(t, (req, res) => {
      res.writeHead(200, { 'content-type': STREAMED_CONTENT_TYPE });
      res.end(`${echo(req)}\n`);
    }),
  };
  const basic = Buffer.from(`promship:${PASSWORD}`).toString('base64');
  const secrets = [TOKEN, PASSWORD, basic, TENANT];
  for (const [name, pending] of Object.entries(behaviours)) {
    const server = await pending;
    for (const auth of [{ bearerTokenFile: tokenFile }, { basicAuth: { username: 'promship', password: PASSWORD } }]) {
      const err = await readError({ url: server.url, timeoutMs: 5000, headers: { 'X-Scope-OrgID': TENANT }, ...auth });
      const text = `${describeError(err)} ${err.stack ?? ''}`;
      t.match(text, /you sent authorization=(Bearer|Basic) <redacted>/, `${name}: the echo is quoted, redacted`);
      for (const s of secrets) t.notMatch(text, s, `${name}: no secret in the message`);
    }
  }
});
