/**
 * `node --import tsx bench/idle-gcs.ts`: the idle RSS of `promship run` (built CLI) whose bucket
 * is `gs://` on the GCS emulator, after its first run shipped a small window: the agent must stay
 * at most 60 MiB with every SDK installed (the GCS client is loaded only in the run process).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGcsEmulator } from '../test/helpers/gcs-emulator.ts';
import { freePort } from '../test/helpers/prometheus.ts';
import { startSource } from '../test/helpers/source.ts';

const CLI = new URL('../dist/cli.js', import.meta.url).pathname;
const teardowns: (() => unknown)[] = [];
const t = { teardown: (fn: () => unknown): void => void teardowns.push(fn) };
const work = await mkdtemp(join(tmpdir(), 'promship-idle-gcs-'));
try {
  const source = await startSource(t, work, { windows: 1 });
  const emu = await startGcsEmulator(t);
  const child = spawn(process.execPath, [CLI, 'run'], {
    env: {
      ...process.env,
      PROMSHIP_BUCKET: `gs://${emu.bucket}/thanos`,
      STORAGE_EMULATOR_HOST: emu.endpoint,
      PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
      PROMSHIP_DATA_DIR: join(work, 'data'),
      PROMSHIP_MAX_BACKFILL: '8h',
      PROMSHIP_LISTEN_ADDRESS: `127.0.0.1:${await freePort()}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  while (!/"msg":"health"/.test(out)) {
    if (child.exitCode !== null) throw new Error(`promship run exited: ${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const shipped = out.split('\n').filter((l) => l.includes('"msg":"shipped block"')).length;
  await new Promise((r) => setTimeout(r, 10_000));
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  console.log(
    JSON.stringify({
      date: new Date().toISOString(),
      shipped,
      idleRssMiB: kib('VmRSS') / 1024,
      hwmMiB: kib('VmHWM') / 1024,
    }),
  );
  child.kill('SIGTERM');
  await once(child, 'exit');
} finally {
  for (const fn of teardowns.reverse()) await fn();
  await rm(work, { recursive: true, force: true });
}
