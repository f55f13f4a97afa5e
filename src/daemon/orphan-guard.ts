/**
 * A run process must never outlive its agent: an orphan would go on shipping beside the next
 * agent's runs. The agent can die at any instant, also while the run is still loading its
 * modules, before the run's own code is in place; so src/daemon/run-process.ts evaluates this
 * module before it loads the run, and it checks both whether the IPC channel is already gone and,
 * from then on, whether it goes.
 */
const dieWithAgent = (): void => {
  process.kill(process.pid, 'SIGKILL');
};

// Only a process forked with an IPC channel has an agent to lose (`process.send` is set then).
if (process.send !== undefined) {
  if (!process.connected) dieWithAgent();
  process.on('disconnect', dieWithAgent);
}

/** The run is done and disconnects on purpose: that must not kill it. */
export function releaseFromAgent(): void {
  process.off('disconnect', dieWithAgent);
}
