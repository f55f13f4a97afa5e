/**
 * The firebase-tools storage emulator's GCS JSON API, in a Node process of its own on 127.0.0.1
 * (a free port), with its own TMPDIR (where it keeps blob bytes), stopped by its PID at teardown.
 * Buckets appear on first use. What it gets wrong (see /work/shared/docs/environment.md):
 * preconditions are ignored and chunked resumable uploads hang, so tests of those use
 * gcs-stub.ts, and every upload a test makes directly has a timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Storage } from '@google-cloud/storage';
import { tempDir } from './tmp.ts';
import { nodeCommand } from './node-command.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface GcsEmulator {
  /** `http://127.0.0.1:<port>`, what STORAGE_EMULATOR_HOST is set to. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly pid: number;
  /** A plain SDK client on the emulator: how the stored objects look without promship's code. */
  client(): Storage;
}

const SCRIPT = fileURLToPath(new URL('./gcs-emulator-server.cjs', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export async function startGcsEmulator(t: Teardown, bucket = 'promship-test'): Promise<GcsEmulator> {
  const dir = await tempDir(t, 'promship-gcs-emu-');
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir };
  delete env.STORAGE_EMULATOR_HOST;
  const [bin, ...args] = nodeCommand([SCRIPT, '0']);
  const proc = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  t.teardown(() => killAndWait(proc));
  const port = await waitForListening(proc);
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: Storage[] = [];
  return {
    endpoint,
    bucket,
    pid: proc.pid ?? -1,
    client() {
      const c = new Storage({ apiEndpoint: endpoint, projectId: 'demo-test' });
      clients.push(c);
      return c;
    },
  };
}

function waitForListening(proc: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the GCS emulator did not start within ${START_TIMEOUT_MS} ms: ${err}`));
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
      reject(new Error(`the GCS emulator exited with code ${code} before listening: ${err}`));
    });
  });
}

async function killAndWait(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  process.kill(proc.pid, 'SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
