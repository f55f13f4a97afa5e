/**
 * When the schedule next fires. Computed by each run process at its end and handed to the agent,
 * which then only sleeps until then: the agent loads no cron library (its time-zone handling
 * alone costs several MiB of resident memory), and a tick that falls inside a run is skipped,
 * so runs never overlap.
 */
import { createTask } from 'node-cron';

/** The next `count` firing times after now (the schedule is in UTC), in ms since the epoch. */
export function nextScheduledRuns(expression: string, count = 1): number[] {
  const task = createTask(expression, () => {}, { timezone: 'Etc/UTC', name: 'promship-next-run' });
  try {
    return task.getNextRuns(count).map((d) => d.getTime());
  } finally {
    void task.destroy();
  }
}

/**
 * Between the schedule's next two firings, in ms; undefined for a schedule that fires less than
 * twice more. Runs ask for it after their windows, not before: node-cron's time-zone handling
 * adds some 8 MiB of resident memory, which then stays out of a window's peak (BENCHMARKS.md),
 * unless the configuration already loaded it (a backfill horizon under a day is checked against
 * the schedule's firings, ./schedule-horizon.ts).
 */
export function schedulePeriod(expression: string): number | undefined {
  const [a, b] = nextScheduledRuns(expression, 2);
  return a !== undefined && b !== undefined ? b - a : undefined;
}
