/**
 * S3-protocol servers for tests: s3rver (files on disk, strict SigV4 checks, run as a child
 * process) and fauxqs (in memory, any credentials, run in-process). Each binds 127.0.0.1 on a free
 * port, has a bucket ready, is stopped at teardown, and can be stopped and started again on the
 * same port to simulate an outage. Objects survive such a restart on both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { tempDir } from './tmp.ts';
import { nodeCommand } from './node-command.ts';

// The SDK warns on Node 20 about its future Node 22 requirement; that noise is not ours.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface S3TestServer {
  readonly name: 's3rver' | 'fauxqs';
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Makes the port refuse connections (objects are kept). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** s3rver only: its directory; object `k` of the bucket is `<dataDir>/<bucket>/k._S3rver_object`. */
  readonly dataDir?: string;
}

const S3RVER_SCRIPT = fileURLToPath(new URL('./s3rver-server.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;

/** s3rver 3.7.1 in a child process started with `--openssl-legacy-provider`. */
export async function startS3rver(t: Teardown, bucket = 'promship-test'): Promise<S3TestServer> {
  const dir = await tempDir(t, 'promship-s3rver-');
  let child: ChildProcess | undefined;
  let port = 0;

  const start = async (): Promise<void> => {
    if (child) return;
    const [bin, ...args] = nodeCommand([
      '--openssl-legacy-provider',
      '--import',
      'tsx',
      S3RVER_SCRIPT,
      dir,
      String(port),
      bucket,
    ]);
    const proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child = proc;
    port = await waitForListening(proc);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc) await killAndWait(proc);
  };

  t.teardown(stop);
  await start();
  return {
    name: 's3rver',
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    // s3rver knows exactly one key pair and verifies signatures with it.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop,
    start,
    dataDir: dir,
  };
}

/** fauxqs 1.9.2 in-process; its Fastify app outlives our listener, so objects survive a restart. */
export async function startFauxqs(t: Teardown, bucket = 'promship-test'): Promise<S3TestServer> {
  const app = buildApp({ logger: false });
  await app.ready();
  let server: Server | undefined;
  let port = 0;

  const start = async (): Promise<void> => {
    if (server) return;
    const srv = createServer((req, res) => app.routing(req, res));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => resolve());
    });
    server = srv;
    port = (srv.address() as AddressInfo).port;
  };

  const stop = async (): Promise<void> => {
    const srv = server;
    server = undefined;
    if (!srv) return;
    const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
    srv.closeAllConnections();
    await closed;
  };

  t.teardown(async () => {
    await stop();
    await app.close();
  });
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return {
    name: 'fauxqs',
    endpoint,
    bucket,
    region: 'us-east-1',
    // fauxqs accepts any credentials.
    accessKeyId: 'test',
    secretAccessKey: 'test',
    stop,
    start,
  };
}

function waitForListening(proc: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms: ${err}`));
    }, START_TIMEOUT_MS);
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with code ${code} before listening: ${err}`));
    });
  });
}

async function killAndWait(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A plain AWS SDK client on a test server: how the stored objects look without promship's code.
 * Destroyed when the test ends.
 */
export function plainClient(t: Teardown, srv: S3TestServer, extra: Partial<S3ClientConfig> = {}): S3Client {
  const raw = new S3Client({
    endpoint: srv.endpoint,
    region: srv.region,
    forcePathStyle: true,
    credentials: { accessKeyId: srv.accessKeyId, secretAccessKey: srv.secretAccessKey },
    ...extra,
  });
  t.teardown(() => raw.destroy());
  return raw;
}
