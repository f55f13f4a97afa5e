/**
 * TLS options reach the connection: a server with a self-signed certificate is trusted through
 * caFile, rejected without it, and accepted with insecureSkipVerify; a client certificate is
 * presented when certFile/keyFile are set.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { RemoteReadClient, type TlsOptions } from '../../src/prometheus/remote-read.ts';
import { chunkedReadResponse, frame, STREAMED_CONTENT_TYPE } from '../helpers/remote-read-wire.ts';
import { tempDir } from '../helpers/tmp.ts';

const run = promisify(execFile);

async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  return { cert, key };
}

async function read(url: string, tls: TlsOptions): Promise<number> {
  const client = new RemoteReadClient({ url, timeoutMs: 5000, tls });
  try {
    let n = 0;
    for await (const _ of client.read({ start: 0, end: 7_200_000 })) n++;
    return n;
  } finally {
    await client.close();
  }
}

t.test('TLS options', async (t) => {
  const dir = await tempDir(t);
  const server = await selfSigned(dir, 'server');
  const clientCert = await selfSigned(dir, 'promship');
  const peers: (string | undefined)[] = [];
  const https: Server = createServer(
    {
      cert: await readFile(server.cert),
      key: await readFile(server.key),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const peer = req.socket instanceof TLSSocket ? req.socket.getPeerCertificate() : undefined;
      const cn = peer && 'subject' in peer ? peer.subject.CN : undefined;
      peers.push(Array.isArray(cn) ? cn.join(',') : cn);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': STREAMED_CONTENT_TYPE });
        res.end(frame(chunkedReadResponse([{ labels: [['__name__', 'x']], chunks: [] }])));
      });
    },
  );
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => https.close(() => resolve())));
  https.on('connection', (s) => t.teardown(() => s.destroy()));
  const url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;

  t.equal(await read(url, { caFile: server.cert }), 1, 'trusted through caFile');
  await t.rejects(read(url, {}), { code: 'PROMSHIP_REMOTE_READ_CONNECT' }, 'an unknown CA is refused');
  t.equal(await read(url, { insecureSkipVerify: true }), 1, 'insecureSkipVerify accepts it');
  t.equal(await read(url, { caFile: server.cert, certFile: clientCert.cert, keyFile: clientCert.key }), 1);
  t.same(peers, [undefined, undefined, 'promship'], 'the client certificate is presented only when configured');
});
