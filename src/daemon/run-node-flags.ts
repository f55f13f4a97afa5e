/**
 * Node flags for the processes that ship windows: each run of the agent, and (through the image's
 * NODE_OPTIONS, which must stay equal to these) every command in the image. `RUN_ENV` below is
 * the same for their environment.
 *
 * A young generation of 4 MiB semi-spaces instead of V8's 16: a window's remote-read answer
 * arrives as a stream of short-lived buffers and objects, and the larger young generation mostly
 * held garbage waiting for its collection. At 250,000 series it cut the peak RSS of a window by
 * some 20 MiB and used no more CPU (less, in fact: fewer pages touched), BENCHMARKS.md. V8 reads
 * the size only when the process starts, so it has to be a command-line flag.
 */
export const RUN_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/**
 * Environment for the same processes (the image sets it with ENV, which must stay equal).
 *
 * One glibc malloc arena instead of one per thread: V8's helper threads (the optimising compiler,
 * the parallel GC) and libuv's file-system threads each grew an arena of their own and kept what
 * they freed. At 250,000 series the peak RSS of a window fell from a median of 151-152 MiB to
 * 144-145 MiB (34 runs each, alternating), the highest from 198 MiB to 160, for no more CPU
 * (BENCHMARKS.md). glibc reads it when the process starts.
 */
export const RUN_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };

/**
 * The run process's `execArgv`: the agent's own (a loader when run from source, say), plus each of
 * `RUN_NODE_FLAGS` that neither they nor NODE_OPTIONS already set, so an operator's own choice
 * of the same flag wins.
 */
export function runExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map(flagName);
  return [...execArgv, ...RUN_NODE_FLAGS.filter((f) => !given.includes(flagName(f)))];
}

/**
 * `--max-semi-space-size` of `--max-semi-space-size=4` (or of `"--max-semi-space-size=4"`: Node
 * takes quoted entries in NODE_OPTIONS); V8 treats `_` and `-` alike.
 */
export function flagName(arg: string): string {
  return arg.replaceAll('"', '').split('=')[0]!.replaceAll('_', '-');
}

/** The run process's environment: the agent's, plus each of `RUN_ENV` the operator did not set. */
export function runEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [name, value] of Object.entries(RUN_ENV)) if (out[name] === undefined) out[name] = value;
  return out;
}
