/**
 * A process that takes a data dir's run lock as a run would, for tests that need the holder (or
 * several contenders) to be real processes. argv: `<dataDir> <once|run> [startAtMs]`: waits until
 * `startAtMs` (so that contenders start together), then prints `held <pid>` or
 * `locked <holder pid>` (and exits 3). A holder keeps the lock until its stdin ends, then
 * releases it and exits 0, or exits without releasing if the first stdin line is `exit`.
 */
import { acquireRunLock, RunLockedError, type RunCommand } from '../../src/shipper/run-lock.ts';

const [dataDir, command, startAt] = process.argv.slice(2);
if (startAt) await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
try {
  const lock = await acquireRunLock({ dataDir: dataDir!, command: command as RunCommand });
  process.stdout.write(`held ${process.pid}\n`);
  let input = '';
  process.stdin.on('data', (d: Buffer) => {
    input += d.toString();
    if (input.startsWith('exit\n')) process.exit(0);
  });
  process.stdin.on('end', () => void lock.release().then(() => process.exit(0)));
} catch (err) {
  if (!(err instanceof RunLockedError)) throw err;
  process.stdout.write(`locked ${err.holder.pid}\n`);
  process.exit(3);
}
