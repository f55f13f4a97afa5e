/**
 * The data dir's run lock, with real processes as holders and contenders: one holder at a time,
 * even when several runs start at the same instant over a lock left by a dead one; a holder that
 * is gone (killed, or its PID now someone else's) is taken over and said so; a live one is named.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import t from 'tap';
import { acquireRunLock, RUN_LOCK_DIR, RunLockedError } from '../../src/shipper/run-lock.ts';
import { tempDir } from '../helpers/tmp.ts';
import { nodeCommand } from '../helpers/node-command.ts';

const HOLD = fileURLToPath(new URL('../helpers/hold-run-lock.ts', import.meta.url));

interface Contender {
  child: ChildProcess;
  /** `held <pid>` or `locked <pid>`. */
  said: Promise<string>;
  exited: Promise<unknown>;
}

function contend(dataDir: string, command: 'once' | 'run', startAt?: number): Contender {
  const [bin, ...args] = nodeCommand([
    '--import',
    'tsx',
    HOLD,
    dataDir,
    command,
    ...(startAt ? [String(startAt)] : []),
  ]);
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const said = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`contender exited with ${String(code)} before saying anything`)));
  });
  said.catch(() => undefined);
  const exited = once(child, 'exit');
  return { child, said, exited };
}

/** A PID that was in use a moment ago and is not any more. */
async function deadPid(): Promise<number> {
  const [bin, ...args] = nodeCommand(['-e', '']);
  const child = spawn(bin, args);
  await once(child, 'exit');
  return child.pid!;
}

const bootId = (): Promise<string> => readFile('/proc/sys/kernel/random/boot_id', 'utf8').then((s) => s.trim());

const entries = (dataDir: string): Promise<string[]> => readdir(join(dataDir, RUN_LOCK_DIR)).catch(() => []);

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

t.test('one holder at a time; a second run in the same process is refused until released', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const lock = await acquireRunLock({ dataDir, command: 'once' });
  t.match(await entries(dataDir), [new RegExp(`^once\\.${process.pid}\\.\\d+\\.`)], 'the lock names its holder');
  const err = await acquireRunLock({ dataDir, command: 'run' }).catch((e: unknown) => e);
  t.ok(err instanceof RunLockedError, 'refused');
  t.equal((err as RunLockedError).code, 'PROMSHIP_RUN_LOCKED');
  t.equal((err as RunLockedError).holder.pid, process.pid);
  t.match(
    (err as RunLockedError).message,
    /another run is shipping from data dir .*`promship once`, PID \d+ since \d{4}-/,
  );
  await lock.release();
  await lock.release();
  t.same(await readdir(dataDir), [], 'released: nothing is left in the data dir');
  const again = await acquireRunLock({ dataDir, command: 'once' });
  await again.release();
});

t.test('a live holder in another process is named; once it lets go, the next run takes the lock', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const holder = contend(dataDir, 'run');
  t.teardown(() => void holder.child.kill('SIGKILL'));
  t.equal(await holder.said, `held ${holder.child.pid}`);
  const err = (await acquireRunLock({ dataDir, command: 'once' }).catch((e: unknown) => e)) as RunLockedError;
  t.equal(err.code, 'PROMSHIP_RUN_LOCKED');
  t.equal(err.holder.pid, holder.child.pid);
  t.equal(err.holder.command, 'run');
  t.match(err.message, /the agent's scheduled run, PID \d+/);
  holder.child.stdin!.end();
  await holder.exited;
  const lock = await acquireRunLock({ dataDir, command: 'once' });
  await lock.release();
});

t.test('a holder killed with SIGKILL leaves the lock behind; the next run takes it over and says so', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const holder = contend(dataDir, 'once');
  t.equal(await holder.said, `held ${holder.child.pid}`);
  holder.child.kill('SIGKILL');
  await holder.exited;
  t.match(await entries(dataDir), [new RegExp(`^once\\.${holder.child.pid}\\.`)], 'the dead holder is still named');
  const { logger, lines } = capture();
  const lock = await acquireRunLock({ dataDir, command: 'run', logger });
  t.match(await entries(dataDir), [new RegExp(`^run\\.${process.pid}\\.`)], 'now held by this process');
  const line = lines.find((l) => l.msg === 'took over the run lock of a run that ended without letting go of it');
  t.equal(line?.pid, holder.child.pid, 'the log names the dead holder');
  await lock.release();
});

t.test('a holder that exits without releasing lets go of the lock', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const holder = contend(dataDir, 'once');
  t.equal(await holder.said, `held ${holder.child.pid}`);
  holder.child.stdin!.write('exit\n');
  await holder.exited;
  t.same(await readdir(dataDir), [], 'released on exit');
});

t.test(
  'a PID in use by another process than the holder (a container restart, a reboot) does not hold the lock',
  async (t) => {
    const dataDir = join(await tempDir(t), 'data');
    const boot = await bootId();
    // This process is alive, but it is not the one that took these locks: it started at another
    // moment, or on another boot of the kernel.
    for (const name of [
      `run.${process.pid}.1.${boot}.0123456789abcdef`,
      `once.${process.pid}.-.00000000-0000-0000-0000-000000000000.0123456789abcdef`,
    ]) {
      await mkdir(join(dataDir, RUN_LOCK_DIR), { recursive: true });
      await writeFile(join(dataDir, RUN_LOCK_DIR, name), '');
      const { logger, lines } = capture();
      const lock = await acquireRunLock({ dataDir, command: 'once', logger });
      t.ok(
        lines.some((l) => String(l.msg).startsWith('took over the run lock')),
        `${name} taken over`,
      );
      await lock.release();
    }
    // The same PID with its real start time and boot is the live holder.
    const live = await acquireRunLock({ dataDir, command: 'once' });
    const err = await acquireRunLock({ dataDir, command: 'once' }).catch((e: unknown) => e);
    t.ok(err instanceof RunLockedError, 'the real holder still holds it');
    await live.release();
  },
);

t.test('runs that start at the same instant over a dead holder: exactly one takes the lock', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  for (let round = 1; round <= 4; round++) {
    await mkdir(join(dataDir, RUN_LOCK_DIR), { recursive: true });
    await writeFile(join(dataDir, RUN_LOCK_DIR, `once.${await deadPid()}.-.-.0123456789abcdef`), '');
    // Far enough ahead that all have loaded their modules by then.
    const startAt = Date.now() + 3000;
    const contenders = Array.from({ length: 8 }, () => contend(dataDir, 'run', startAt));
    t.teardown(() => contenders.forEach((c) => c.child.kill('SIGKILL')));
    const said = await Promise.all(contenders.map((c) => c.said));
    const winners = contenders.filter((_, i) => said[i]!.startsWith('held'));
    t.equal(winners.length, 1, `round ${round}: one holder (${said.join(', ')})`);
    const winner = winners[0]!.child.pid;
    t.ok(
      said.every((s) => s === `held ${winner}` || s === `locked ${winner}`),
      `round ${round}: every other run names it`,
    );
    for (const c of contenders) c.child.stdin!.end();
    await Promise.all(contenders.map((c) => c.exited));
    t.same(await readdir(dataDir), [], `round ${round}: nothing left once it let go`);
  }
});

t.test('prepared directories of runs killed before they took the lock are cleared', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const abandoned = join(dataDir, `${RUN_LOCK_DIR}.00ff00ff00ff00ff.tmp`);
  await mkdir(abandoned, { recursive: true });
  await writeFile(join(abandoned, `run.${await deadPid()}.-.-.00ff00ff00ff00ff`), '');
  const lock = await acquireRunLock({ dataDir, command: 'once' });
  t.same(await readdir(dataDir), [RUN_LOCK_DIR]);
  await lock.release();
});

t.test('a data dir that cannot hold the lock fails with its own code', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'data'), 'not a directory');
  const err = (await acquireRunLock({ dataDir: join(dir, 'data'), command: 'once' }).catch((e: unknown) => e)) as {
    code?: string;
    message?: string;
  };
  t.equal(err.code, 'PROMSHIP_RUN_LOCK_FAILED');
  t.match(err.message, /PROMSHIP_DATA_DIR must be a writable directory/);
});
