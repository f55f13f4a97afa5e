/**
 * The container image's content, made without a container engine by following the Dockerfile:
 * the `build` stage's copies and `npm run build` (dev dependencies linked from this checkout, as
 * its `npm ci` would install them), the `deps` stage's `npm ci --omit=dev`, and the runtime
 * stage's COPY instructions into an app directory. What runs there is the image's command.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, stat, symlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { command, copies, readDockerfile, runs, type Stage } from './dockerfile.ts';
import { ROOT } from './helm.ts';
import { nodeCommand } from './node-command.ts';

export interface ProductionInstall {
  /** The runtime image's WORKDIR, laid out locally. */
  appDir: string;
  /** The image's ENTRYPOINT + CMD, with `node` and image paths mapped to this machine. */
  command: string[];
  /** Maps a path inside the image to the local layout. */
  local(imagePath: string): string;
}

function exec(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        cwd,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
      },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${err.message}\n${stdout}\n${stderr}`))
          : resolve(),
    );
  });
}

function stageNamed(stages: Stage[], name: string): Stage {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`the Dockerfile has no stage named ${name}`);
  return s;
}

/** Docker's COPY: a file into a destination ending in `/` keeps its name; a directory's contents are copied. */
async function dockerCopy(from: string, to: string, destIsDir: boolean): Promise<void> {
  const isFile = (await stat(from)).isFile();
  await cp(from, isFile && destIsDir ? join(to, posix.basename(from)) : to, { recursive: true });
}

/** Copies a stage's build-context COPY sources from this checkout into `dir` (its WORKDIR). */
async function copyContext(stage: Stage, dir: string): Promise<void> {
  for (const c of copies(stage)) {
    if (c.from) throw new Error(`unexpected COPY --from in stage ${stage.name}`);
    for (const src of c.sources) await dockerCopy(join(ROOT, src), join(dir, c.dest), c.dest.endsWith('/'));
  }
}

export async function buildProductionInstall(dir: string): Promise<ProductionInstall> {
  const { stages } = await readDockerfile();
  const build = stageNamed(stages, 'build');
  const deps = stageNamed(stages, 'deps');
  const runtime = stages.at(-1)!;
  const stageDirs = new Map<string, { dir: string; workdir: string }>([
    ['build', { dir: join(dir, 'build'), workdir: build.workdir }],
    ['deps', { dir: join(dir, 'deps'), workdir: deps.workdir }],
  ]);

  const buildDir = join(dir, 'build');
  const depsDir = join(dir, 'deps');
  await mkdir(buildDir, { recursive: true });
  await mkdir(depsDir, { recursive: true });
  await copyContext(build, buildDir);
  await copyContext(deps, depsDir);

  // build: its `npm ci` is this checkout's node_modules; then its own build command.
  if (!runs(build).some((r) => /^npm ci\b/.test(r) && !r.includes('--omit=dev')))
    throw new Error('the build stage no longer runs a full npm ci');
  await symlink(join(ROOT, 'node_modules'), join(buildDir, 'node_modules'), 'dir');
  const buildCmd = runs(build).find((r) => r.startsWith('npm run build'));
  if (!buildCmd) throw new Error('the build stage no longer runs npm run build');
  // deps: the production install exactly as the Dockerfile runs it, from the local npm cache
  // when it has the packages (it does after `npm ci` of this checkout).
  const depsCmd = runs(deps)
    .find((r) => r.startsWith('npm ci'))
    ?.split('&&')[0]
    ?.trim();
  if (!depsCmd?.includes('--omit=dev')) throw new Error('the deps stage no longer runs npm ci --omit=dev');
  await Promise.all([
    exec('npm', ['run', 'build'], buildDir),
    exec('npm', [...depsCmd.split(/\s+/).slice(1), '--prefer-offline'], depsDir),
  ]);

  // runtime: its COPY instructions, from the stages above or from the build context.
  const appDir = join(dir, 'app');
  const local = (imagePath: string): string => {
    if (!imagePath.startsWith(`${runtime.workdir}/`) && imagePath !== runtime.workdir)
      throw new Error(`${imagePath} is outside the image's WORKDIR`);
    return join(appDir, posix.relative(runtime.workdir, imagePath));
  };
  await mkdir(appDir, { recursive: true });
  for (const c of copies(runtime)) {
    for (const src of c.sources) {
      let from: string;
      if (c.from) {
        const s = stageDirs.get(c.from);
        if (!s) throw new Error(`COPY --from=${c.from}: unknown stage`);
        from = join(s.dir, posix.relative(s.workdir, src));
      } else {
        from = join(ROOT, src);
      }
      await dockerCopy(from, local(posix.resolve(runtime.workdir, c.dest)), c.dest.endsWith('/'));
    }
  }

  const [first, ...rest] = command(runtime).map((word) => (word.startsWith('/') ? local(word) : word));
  const cmd = first === 'node' ? nodeCommand(rest) : [first!, ...rest];
  return { appDir, command: cmd, local };
}
