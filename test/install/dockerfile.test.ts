/**
 * The Dockerfile cannot be built here (no container engine), so it is read: multi-stage with dev
 * dependencies only in the build stage, a small Node 20 base, a numeric non-root user matching
 * the Helm chart, `promship run` as the command, OCI labels, and a .dockerignore that keeps the
 * build context small without hiding anything the build copies. production-install.int.test.ts runs
 * what the runtime stage holds.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { RUN_ENV, RUN_NODE_FLAGS } from '../../src/daemon/run-node-flags.ts';
import { command, copies, readDockerfile, runs } from '../helpers/dockerfile.ts';
import { CHART_DIR, ROOT } from '../helpers/helm.ts';

t.test('the Dockerfile builds with dev dependencies and runs with production ones only', async (t) => {
  const { globalArgs, stages } = await readDockerfile();
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
    engines: { node: string };
  };
  const values = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
    podSecurityContext: { runAsUser: number; runAsGroup: number };
    metricsPort: number;
  };

  t.same(
    stages.map((s) => s.name),
    ['build', 'deps', undefined],
    'stages: build, deps, runtime',
  );
  const base = globalArgs.NODE_IMAGE ?? '';
  t.match(
    base,
    /^node:22[.\d]*-(bookworm|bullseye)-slim$|^gcr\.io\/distroless\/nodejs22/,
    `a small, supported Node 22 base (${base})`,
  );
  // Node 22 (the image's, which the CI's fast tier also runs on) and 20 from 20.18.
  t.equal(pkg.engines.node, '^20.18.0 || ^22.0.0', 'the base matches the Node the package supports');
  for (const s of stages) t.equal(s.from, '${NODE_IMAGE}', 'every stage uses the same base');

  const [build, deps, runtime] = stages as [(typeof stages)[0], (typeof stages)[0], (typeof stages)[0]];
  t.ok(
    runs(build).some((r) => /^npm ci\b/.test(r) && !r.includes('--omit')),
    'build: npm ci with dev dependencies',
  );
  t.ok(
    runs(build).some((r) => r.startsWith('npm run build')),
    'build: npm run build',
  );
  const buildSources = copies(build)
    .flatMap((c) => c.sources)
    .sort();
  t.same(
    buildSources,
    ['package-lock.json', 'package.json', 'scripts/build.ts', 'src', 'tsconfig.json'],
    'build: copies only what the bundler needs',
  );
  t.ok(
    runs(deps).some((r) => /^npm ci --omit=dev\b/.test(r)),
    'deps: npm ci --omit=dev',
  );

  const runtimeCopies = copies(runtime);
  t.same(
    runtimeCopies.map((c) => `${c.from ?? 'context'}:${c.sources.join(',')}`).sort(),
    ['build:/src/dist', 'context:package.json', 'deps:/app/node_modules'],
    'runtime: dist, package.json (the version) and production node_modules',
  );
  t.equal(runtime.workdir, '/app');
  t.same(command(runtime), ['node', '/app/dist/cli.js', 'run'], 'the image runs `promship run`');
  const env = runtime.instructions.filter((i) => i.op === 'ENV').map((i) => i.args);
  t.ok(
    env.includes(`NODE_OPTIONS=${RUN_NODE_FLAGS.join(' ')}`),
    "every command in the image gets the runs' Node flags through NODE_OPTIONS",
  );
  for (const [name, value] of Object.entries(RUN_ENV))
    t.ok(env.includes(`${name}=${value}`), `every command in the image gets the runs' ${name}`);
  t.ok(
    runs(runtime).some((r) => r.includes('ln -s /app/dist/cli.js /usr/local/bin/promship')),
    '`promship` is on PATH for kubectl exec',
  );

  const user = runtime.instructions.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
  t.match(user, /^\d+:\d+$/, 'a numeric user and group');
  const [uid, gid] = user.split(':').map(Number);
  t.ok(uid! > 0 && gid! > 0, 'not root');
  t.equal(uid, values.podSecurityContext.runAsUser, "the chart's runAsUser");
  t.equal(gid, values.podSecurityContext.runAsGroup, "the chart's runAsGroup");
  const lastRun = runtime.instructions.map((i) => i.op).lastIndexOf('RUN');
  const userAt = runtime.instructions.map((i) => i.op).lastIndexOf('USER');
  t.ok(userAt > lastRun, 'nothing runs as root after USER');

  const expose = runtime.instructions.find((i) => i.op === 'EXPOSE')?.args;
  t.equal(Number(expose), values.metricsPort, "EXPOSE is the chart's metrics port");

  const labels = runtime.instructions
    .filter((i) => i.op === 'LABEL')
    .map((i) => i.args)
    .join(' ');
  for (const k of ['title', 'description', 'version', 'revision', 'licenses'])
    t.match(labels, `org.opencontainers.image.${k}=`, `OCI label ${k}`);
  t.match(labels, `org.opencontainers.image.licenses="${pkg.license}"`);
  const versionArg = runtime.instructions.find((i) => i.op === 'ARG' && i.args.startsWith('VERSION='))?.args;
  t.equal(versionArg, `VERSION=${pkg.version}`, 'the default version label is the package version');
});

t.test('.dockerignore keeps the context small and hides nothing the build copies', async (t) => {
  const ignored = (await readFile(join(ROOT, '.dockerignore'), 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const p of ['node_modules', 'dist', '.git', 'test', 'chart'])
    t.ok(ignored.includes(p), `${p} is not sent to the builder`);
  const { stages } = await readDockerfile();
  const fromContext = stages.flatMap((s) =>
    copies(s)
      .filter((c) => !c.from)
      .flatMap((c) => c.sources),
  );
  const matches = (pattern: string, path: string): boolean =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`).test(path);
  // Docker's rule: the last pattern that matches decides, and a `!` pattern lets the path back in.
  const excluded = (path: string): boolean =>
    ignored.reduce((out, p) => (matches(p.replace(/^!/, ''), path) ? !p.startsWith('!') : out), false);
  t.ok(excluded('scripts/test.sh'), 'a pattern with an exception still excludes the rest');
  for (const src of fromContext) t.notOk(excluded(src), `${src} is in the build context`);
});
