/**
 * What a run process tells the agent at its start, by its role: only the agent's first run sends
 * the schedule's period (the agent keeps that run's settings alone); the others learn it after
 * their windows, for their heartbeat, so node-cron's time-zone data stays out of the windows'
 * memory. Prometheus is not there: each run fails after its settings, which is all this reads.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { isProgressMessage, type SettingsMessage } from '../../src/daemon/run-protocol.ts';
import { freePort } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

const RUN_PROCESS = fileURLToPath(new URL('../../src/daemon/run-process.ts', import.meta.url));

async function settingsOf(role: string, dir: string, prometheusPort: number): Promise<SettingsMessage> {
  const child = fork(RUN_PROCESS, [role], {
    execArgv: ['--import', 'tsx'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      PROMSHIP_PROMETHEUS_URL: `http://127.0.0.1:${prometheusPort}`,
      PROMSHIP_BUCKET: `file://${join(dir, 'bucket')}`,
      PROMSHIP_DATA_DIR: join(dir, `data-${role}`),
      PROMSHIP_SCHEDULE: '*/5 * * * *',
      PROMSHIP_LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  let settings: SettingsMessage | undefined;
  child.on('message', (m: unknown) => {
    if (isProgressMessage(m) && m.type === 'settings') settings = m;
  });
  await new Promise((resolve) => child.once('exit', resolve));
  if (settings === undefined) throw new Error(`the ${role} run sent no settings`);
  return settings;
}

t.test("only the agent's first run sends the schedule's period at its start", async (t) => {
  const dir = await tempDir(t);
  const port = await freePort();
  t.equal((await settingsOf('first', dir, port)).schedulePeriodMs, 5 * 60_000, 'the first run');
  t.equal((await settingsOf('starting', dir, port)).schedulePeriodMs, undefined, 'a later run while starting');
  t.equal((await settingsOf('next', dir, port)).schedulePeriodMs, undefined, 'a run once started');
});
