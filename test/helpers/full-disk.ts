/**
 * A data directory that can be made to run out of space and given space again while the agent
 * runs, without a real small disk:
 * - `tmpfs` (preferred): a size-limited tmpfs mounted on the directory (root, or `sudo -n`), and
 *   a filler file that takes all but a few KiB of it; writes fail with ENOSPC, exactly as on a
 *   full volume. Freeing space removes the filler.
 * - `rlimit-fsize` (where mounting is not allowed): the agent runs under `prlimit --fsize`, so any
 *   write past a few KiB in one file fails with EFBIG (Node ignores SIGXFSZ); freeing space lifts
 *   the limit on the running process with `prlimit --pid`. Every block file is larger than the
 *   limit, so building any block fails, like a full disk, but with a different errno.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, rmdir, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, CLI_ARGS } from './cli.ts';
import { nodeCommand } from './node-command.ts';

const run = promisify(execFile);
/** Room left when "full": enough for a directory entry or two, never for a block. */
const LEFT_BYTES = 8 * 1024;
const TMPFS_BYTES = 16 * 1024 * 1024;

export interface FullDisk {
  /** The data directory. */
  dir: string;
  mechanism: 'tmpfs' | 'rlimit-fsize';
  /** The command to start `promship run` with (wrapped in prlimit for `rlimit-fsize`). */
  command: string[];
  /** Extra environment for the agent. */
  env: Record<string, string>;
  /** Gives the space back while the agent (process `pid`) runs. */
  free(pid: number): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

const AGENT = nodeCommand([...CLI_ARGS, 'run']);
const IGNORE_SIGXFSZ = new URL('./ignore-sigxfsz.ts', import.meta.url).href;

async function tryMount(dir: string): Promise<boolean> {
  if (process.env.FAULT_DISK_MECHANISM === 'rlimit-fsize') return false;
  const args = ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES},mode=0700`, 'promship-test', dir];
  const [bin, ...rest] = process.getuid?.() === 0 ? ['mount', ...args] : ['sudo', '-n', 'mount', ...args];
  try {
    await run(bin, rest);
    return true;
  } catch {
    return false;
  }
}

async function unmount(dir: string): Promise<void> {
  const [bin, ...rest] = process.getuid?.() === 0 ? ['umount'] : ['sudo', '-n', 'umount'];
  try {
    await run(bin, [...rest, dir]);
  } catch {
    // Still busy (a process that has not quite exited): detach it now, gone once unused.
    await run(bin, [...rest, '-l', dir]).catch(() => undefined);
  }
}

/**
 * A data directory that is already full. Create it before starting the agent: tap runs teardowns
 * last-first, so the agent is then stopped before the directory is unmounted.
 */
export async function fullDisk(t: Teardown): Promise<FullDisk> {
  const dir = await mkdtemp(join(tmpdir(), 'promship-full-'));
  if (await tryMount(dir)) {
    t.teardown(async () => {
      await unmount(dir);
      await rmdir(dir).catch(() => undefined);
    });
    const filler = join(dir, 'filler');
    const { bavail, bsize } = await statfs(dir);
    await writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - LEFT_BYTES)));
    return { dir, mechanism: 'tmpfs', command: AGENT, env: {}, free: () => rm(filler, { force: true }) };
  }
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return {
    dir,
    mechanism: 'rlimit-fsize',
    // Soft limit low, hard limit unlimited, so the limit can be lifted on the running process.
    command: [
      'prlimit',
      `--fsize=${LEFT_BYTES}:unlimited`,
      '--',
      ...nodeCommand(['--import', 'tsx', '--import', IGNORE_SIGXFSZ, CLI, 'run']),
    ],
    // tsx's compile cache would hit the limit too; the agent itself writes files only in its data dir.
    env: { TSX_DISABLE_CACHE: '1' },
    async free(pid) {
      await run('prlimit', ['--pid', String(pid), '--fsize=unlimited:unlimited']);
    },
  };
}
