/**
 * One shipping run at a time per data dir. Two runs of one cluster at once (`kubectl exec …
 * promship once` while the agent's scheduled run is shipping) would both claim the same window in
 * the ledger, a read-modify-write of one object in the bucket, and both upload a block for it:
 * overlapping blocks, which halt the Thanos compactor. They would also clear each other's
 * half-built blocks in the data dir. So whoever ships (`promship once`, and every run of
 * `promship run`) holds this lock for its whole run.
 *
 * The lock is the directory `run.lock` in the data dir, holding one empty file whose name says who
 * holds it: the command, the PID, the process's start time and the kernel's boot id. The start
 * time (from /proc/<pid>/stat) and the boot id tell a holder from a process that got its PID
 * later, after a container restart or a reboot, so a lock left by a killed run never blocks
 * shipping: it is taken over.
 *
 * Taking the lock is one rename(2) of a private directory, holding that file, onto `run.lock`:
 * atomic, and it succeeds only while `run.lock` is missing or empty. A holder that is gone is
 * removed by unlinking its own file, by name, which is a conditional removal: two runs that find
 * the same dead holder both unlink it (one of them in vain), then both rename, and the second
 * rename fails on the first one's file. Nothing is ever written into a file, so a full data dir
 * does not keep the lock from working.
 *
 * The data dir is per pod (an emptyDir); the lock does not guard two pods that ship into one
 * bucket, each with its own data dir.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PromshipError } from '../errors.ts';
import type { Logger } from '../log.ts';

export const RUN_LOCK_DIR = 'run.lock';
/** Private directories a run prepares before renaming one onto `run.lock`. */
const PREPARED = /^run\.lock\.[0-9a-f]+\.tmp$/;

/** Who ships: `promship once`, or a run of the agent (`promship run`). */
export type RunCommand = 'once' | 'run';

export interface LockHolder {
  command: RunCommand;
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat); '-' where unknown. */
  startTime: string;
  /** /proc/sys/kernel/random/boot_id of the kernel it ran on; '-' where unknown. */
  bootId: string;
  /** When it took the lock (ms), from the file's mtime; undefined once the file is gone. */
  since?: number;
}

/** Another run holds the lock: this one ships nothing. */
export class RunLockedError extends PromshipError {
  override readonly code = 'PROMSHIP_RUN_LOCKED';

  constructor(
    readonly holder: LockHolder,
    readonly dataDir: string,
  ) {
    const who = holder.command === 'run' ? "the agent's scheduled run" : '`promship once`';
    const since = holder.since === undefined ? '' : ` since ${new Date(holder.since).toISOString()}`;
    super(
      `another run is shipping from data dir ${dataDir}: ${who}, PID ${holder.pid}${since}. Nothing was shipped by this one ` +
        '(two runs at once would upload overlapping blocks); wait for that run to end, then run it again if `promship status` still shows pending windows',
    );
  }
}

/** The lock could not be taken or checked at all: the data dir is missing, not a directory, or not writable. */
class RunLockError extends PromshipError {
  override readonly code = 'PROMSHIP_RUN_LOCK_FAILED';
}

export interface RunLock {
  readonly holder: LockHolder;
  /** Lets go of the lock; harmless when called again. */
  release(): Promise<void>;
  /** The same, synchronously: for a process about to end (an 'exit' handler or a signal). */
  releaseSync(): void;
}

const isCode = (err: unknown, ...codes: string[]): boolean =>
  codes.includes(String((err as { code?: unknown } | null)?.code));

const encode = (h: LockHolder, nonce: string): string => [h.command, h.pid, h.startTime, h.bootId, nonce].join('.');

function decode(name: string): LockHolder | undefined {
  const [command, pid, startTime, bootId, nonce, ...rest] = name.split('.');
  if (
    rest.length > 0 ||
    nonce === undefined ||
    (command !== 'once' && command !== 'run') ||
    !/^[1-9]\d*$/.test(pid ?? '')
  )
    return undefined;
  return { command, pid: Number(pid), startTime: startTime || '-', bootId: bootId || '-' };
}

interface ProcStat {
  state: string;
  startTime: string;
}

/** State and start time of a process from /proc; 'gone' if it has no entry, undefined without procfs. */
async function procStat(pid: number): Promise<ProcStat | 'gone' | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ESRCH') && (await procfs())) return 'gone';
    return undefined;
  }
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so fields count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state && startTime && /^\d+$/.test(startTime) ? { state, startTime } : undefined;
}

let procfsPresent: Promise<boolean> | undefined;
const procfs = (): Promise<boolean> =>
  (procfsPresent ??= readFile('/proc/self/stat', 'utf8').then(
    () => true,
    () => false,
  ));

let bootIdRead: Promise<string> | undefined;
const bootId = (): Promise<string> =>
  (bootIdRead ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (id) => (/^[0-9a-f-]+$/i.test(id.trim()) ? id.trim() : '-'),
    () => '-',
  ));

async function self(command: RunCommand): Promise<LockHolder> {
  const st = await procStat(process.pid);
  return { command, pid: process.pid, startTime: typeof st === 'object' ? st.startTime : '-', bootId: await bootId() };
}

/** Whether the holder has ended: no such process, a zombie, or another process under its PID. */
async function holderGone(holder: LockHolder): Promise<boolean> {
  const boot = await bootId();
  // Another boot of the kernel: every process of the one before is gone.
  if (holder.bootId !== '-' && boot !== '-' && holder.bootId !== boot) return true;
  const st = await procStat(holder.pid);
  if (st === 'gone') return true;
  if (st === undefined) {
    // No procfs (not Linux): a signal 0 says whether the PID is in use, not by whom.
    try {
      process.kill(holder.pid, 0);
      return false;
    } catch (err) {
      return isCode(err, 'ESRCH');
    }
  }
  if (st.state === 'Z' || st.state === 'X') return true;
  return holder.startTime !== '-' && st.startTime !== holder.startTime;
}

/**
 * Takes the run lock of `dataDir` (created if missing) for `command`, or throws RunLockedError
 * naming the live holder. A holder that is gone is taken over, and said so in the log. Until
 * released, the lock is also let go of when the process exits (not when it is killed: then the
 * next run takes it over).
 */
export async function acquireRunLock(opts: {
  dataDir: string;
  command: RunCommand;
  logger?: Logger;
}): Promise<RunLock> {
  const { dataDir, logger } = opts;
  const lockDir = join(dataDir, RUN_LOCK_DIR);
  const fail = (what: string, err: unknown): RunLockError =>
    new RunLockError(
      `could not ${what} the run lock in data dir ${dataDir}; PROMSHIP_DATA_DIR must be a writable directory`,
      { cause: err },
    );

  const me = await self(opts.command);
  const nonce = randomBytes(8).toString('hex');
  const name = encode(me, nonce);
  const prepared = join(dataDir, `${RUN_LOCK_DIR}.${nonce}.tmp`);
  try {
    await mkdir(dataDir, { recursive: true });
    await removeAbandoned(dataDir);
    await mkdir(prepared);
    await writeFile(join(prepared, name), '');
  } catch (err) {
    await rm(prepared, { recursive: true, force: true }).catch(() => undefined);
    throw fail('prepare', err);
  }

  let taken = false;
  try {
    // Each pass either takes the lock, finds a live holder, or removes a gone one; a few passes
    // are only needed when other runs come and go at the same moment.
    for (let pass = 0; pass < 20; pass++) {
      try {
        await rename(prepared, lockDir);
        taken = true;
        break;
      } catch (err) {
        if (!isCode(err, 'ENOTEMPTY', 'EEXIST')) throw fail('take', err);
      }
      let names: string[];
      try {
        names = await readdir(lockDir);
      } catch (err) {
        if (isCode(err, 'ENOENT')) continue; // released in the meantime
        throw fail('read', err);
      }
      for (const entry of names) {
        const holder = decode(entry);
        if (holder && !(await holderGone(holder))) {
          const since = await stat(join(lockDir, entry)).then(
            (s) => s.mtimeMs,
            () => undefined,
          );
          // Released while we looked: try again.
          if (since === undefined) continue;
          throw new RunLockedError({ ...holder, since }, dataDir);
        }
        try {
          await unlink(join(lockDir, entry));
        } catch (err) {
          if (isCode(err, 'ENOENT')) continue; // another run removed it first
          throw fail('take over', err);
        }
        logger?.info(
          holder ? { pid: holder.pid, command: holder.command, dataDir } : { entry, dataDir },
          'took over the run lock of a run that ended without letting go of it',
        );
      }
    }
    if (!taken)
      throw new RunLockError(
        `could not take the run lock in data dir ${dataDir}: other runs kept taking and releasing it`,
      );
  } finally {
    if (!taken) await rm(prepared, { recursive: true, force: true }).catch(() => undefined);
  }

  const file = join(lockDir, name);
  let held = true;
  const releaseSync = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', releaseSync);
    try {
      unlinkSync(file);
      // Only if empty: another run may already have renamed its own onto it.
      rmdirSync(lockDir);
    } catch {
      // Gone already, or taken by the next run: either way no longer ours.
    }
  };
  process.on('exit', releaseSync);
  return {
    holder: me,
    releaseSync,
    // Two small file-system calls: the synchronous ones serve both.
    release() {
      releaseSync();
      return Promise.resolve();
    },
  };
}

/**
 * Prepared directories of runs killed before they renamed them onto the lock. One whose file is
 * missing or foreign may be another run's in the making: only removed once it is old.
 */
async function removeAbandoned(dataDir: string): Promise<void> {
  for (const entry of await readdir(dataDir)) {
    if (!PREPARED.test(entry)) continue;
    const dir = join(dataDir, entry);
    const names = await readdir(dir).catch(() => undefined);
    if (names === undefined) continue;
    const holders = names.map(decode);
    let gone: boolean;
    if (holders.length > 0 && holders.every((h) => h !== undefined)) {
      gone = true;
      for (const h of holders) if (!(await holderGone(h))) gone = false;
    } else {
      gone = await stat(dir).then(
        (s) => Date.now() - s.mtimeMs > 60_000,
        () => false,
      );
    }
    if (gone) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
