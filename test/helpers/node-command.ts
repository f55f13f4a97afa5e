/**
 * The command that starts a Node process (the CLI, an agent, a test server) as a user starts it.
 * Under tap, every child process gets tap's process-info hook through NODE_OPTIONS: tap patches
 * child_process and sets it even when the caller gives its own environment without it. The hook
 * runs an ES loader thread over every module the child loads, adds some 180 ms to each start, and
 * is not what a user runs. `env -u NODE_OPTIONS` drops it; `env` execs Node, so the PID is Node's.
 */
export function nodeCommand(args: readonly string[], node = process.execPath): [string, ...string[]] {
  return ['/usr/bin/env', '-u', 'NODE_OPTIONS', node, ...args];
}
