/**
 * Starts one run in its own process (`run-process`) and hands back what it reported. The run
 * shares the agent's stdout and stderr, so its log lines reach the same place as the agent's.
 */
import { fork } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEnv, runExecArgv } from './run-node-flags.ts';
import {
  isProgressMessage,
  isRunMessage,
  type AgentMessage,
  type RunMessage,
  type RunRole,
  type SettingsMessage,
} from './run-protocol.ts';

/** Same extension as this module: `.ts` when run from source, `.js` when built. */
const RUN_PROCESS = fileURLToPath(new URL(`./run-process${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export type RunOutcome =
  | RunMessage
  /** The process ended without a report: killed (e.g. out of memory), crashed, or stopped. */
  | { type: 'ended'; exitCode: number | null; signal: string | null };

export interface RunHandle {
  /** The validated settings, once the run has loaded its configuration; undefined if it ended first. */
  settings: Promise<SettingsMessage | undefined>;
  /**
   * Resolves when the run has learned the cluster's identity (never, if it does not). Its message
   * comes before the process can exit, so this settles before `outcome` does.
   */
  whenStarted: Promise<void>;
  outcome: Promise<RunOutcome>;
  /** Asks the run to stop: it abandons its window before meta.json and exits. */
  stop(): void;
  /** When the run last showed progress (started, settings, learned the identity, ended a window). */
  lastProgressAt(): number;
}

export function spawnRun(opts: { role: RunRole; flags: readonly string[] }): RunHandle {
  const child = fork(RUN_PROCESS, [opts.role, ...opts.flags], {
    // The same Node flags (e.g. a loader when run from source), and the ones a run needs.
    execArgv: runExecArgv(process.execArgv, process.env.NODE_OPTIONS),
    env: runEnv(process.env),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let report: RunMessage | undefined;
  let progressAt = Date.now();
  let gotStarted: () => void = () => {};
  const whenStarted = new Promise<void>((resolve) => (gotStarted = resolve));
  let gotSettings: (s: SettingsMessage | undefined) => void = () => {};
  const settings = new Promise<SettingsMessage | undefined>((resolve) => (gotSettings = resolve));
  child.on('message', (m: unknown) => {
    if (isRunMessage(m)) report = m;
    else if (isProgressMessage(m)) {
      progressAt = Date.now();
      if (m.type === 'settings') gotSettings(m);
      else if (m.type === 'started') gotStarted();
    }
  });
  const outcome = new Promise<RunOutcome>((resolve) => {
    child.once('error', () => {
      // Could not start (e.g. out of memory); 'exit' may never come.
      if (child.exitCode === null && child.pid === undefined) resolve({ type: 'ended', exitCode: null, signal: null });
    });
    child.once('exit', (exitCode, signal) => resolve(report ?? { type: 'ended', exitCode, signal }));
  });
  void outcome.then(() => gotSettings(undefined));
  return {
    settings,
    whenStarted,
    outcome,
    stop() {
      if (child.connected) child.send({ type: 'stop' } satisfies AgentMessage);
    },
    lastProgressAt: () => progressAt,
  };
}
