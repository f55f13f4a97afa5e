/**
 * Azurite (Microsoft's Azure Storage emulator) for tests: the blob service alone in a child
 * process on 127.0.0.1 and a free port, a container ready, stopped by its PID at teardown. It can
 * be stopped and started again on the same port to simulate an outage; with `onDisk` the blobs
 * survive that (in memory they do not). Its account key is made per server, so a leak check can
 * look for it in every output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { tempDir } from './tmp.ts';
import { nodeCommand } from './node-command.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface AzuriteServer {
  /** `http://127.0.0.1:<port>/<account>`: the account's blob endpoint. */
  readonly blobEndpoint: string;
  readonly port: number;
  readonly account: string;
  /** Base64 account key (a secret: must never appear in promship's output). */
  readonly accountKey: string;
  readonly container: string;
  /** A connection string with `BlobEndpoint=` pointing at `endpoint` (default: this server). */
  connectionString(endpoint?: string): string;
  /** A client for `container`, independent of promship's code. */
  containerClient(): ContainerClient;
  readonly pid: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const require = createRequire(import.meta.url);
const AZURITE_BLOB_MAIN = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
const START_TIMEOUT_MS = 60_000;

export async function startAzurite(
  t: Teardown,
  opts: { container?: string; account?: string; onDisk?: boolean } = {},
): Promise<AzuriteServer> {
  const account = opts.account ?? 'promshipacct';
  const accountKey = randomBytes(64).toString('base64');
  const container = opts.container ?? 'promship-test';
  const dir = await tempDir(t, 'promship-azurite-');
  let child: ChildProcess | undefined;
  let port = 0;

  const start = async (): Promise<void> => {
    if (child) return;
    const env: NodeJS.ProcessEnv = { ...process.env, AZURITE_ACCOUNTS: `${account}:${accountKey}` };
    const storage = opts.onDisk === true ? ['--location', dir] : ['--inMemoryPersistence'];
    const [bin, ...args] = nodeCommand([
      AZURITE_BLOB_MAIN,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      ...storage,
      '--silent',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--loose',
    ]);
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: dir });
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
  const blobEndpoint = (): string => `http://127.0.0.1:${port}/${account}`;
  const connectionString = (endpoint = blobEndpoint()): string =>
    `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${accountKey};BlobEndpoint=${endpoint};`;
  const containerClient = (): ContainerClient => new ContainerClient(connectionString(), container);
  await containerClient().createIfNotExists();
  return {
    get blobEndpoint() {
      return blobEndpoint();
    },
    get port() {
      return port;
    },
    get pid() {
      return child?.pid ?? -1;
    },
    account,
    accountKey,
    container,
    connectionString,
    containerClient,
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
      reject(new Error(`azurite did not start within ${START_TIMEOUT_MS} ms: ${err}`));
    }, START_TIMEOUT_MS);
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listens on https?:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`azurite exited with code ${code} before listening: ${err}`));
    });
  });
}

async function killAndWait(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      resolve();
    }),
  );
  proc.kill('SIGTERM');
  const timer = setTimeout(() => {
    proc.kill('SIGKILL');
  }, 5_000);
  await exited;
  clearTimeout(timer);
}
