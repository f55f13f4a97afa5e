/**
 * `npm run build`: bundles the CLI and the agent's run process into dist/ with esbuild.
 *
 * Every `promship` command and every run the agent starts is a fresh process, and loading some
 * 400 small module files of undici, zod, yaml and protobufjs was most of a run's fixed cost. The
 * bundle is a handful of files; code reached only through a dynamic import (a store, the daemon,
 * the fleet view) stays in a chunk of its own, so a process still loads only what it uses.
 *
 * Left outside the bundle and loaded from node_modules: native addons, pino and prom-client
 * (loaded with require(), src/log.ts), and the cloud SDKs (big, loaded only by the process that
 * uses that store, and run as their authors ship them). The bundled packages are
 * devDependencies; their licences go into dist/THIRD-PARTY-LICENSES.txt.
 *
 * All output sits directly in dist/, one level below the package root, as src/*.ts does:
 * `src/package-root.ts` relies on that. The new dist/ is built beside the old one and swapped in,
 * so an agent started from this checkout never finds half a build.
 */
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const NEXT = join(ROOT, `dist.next-${process.pid}`);

/**
 * undici loads node:http2 as it loads, for HTTP/2, which promship never asks it for (Prometheus'
 * remote read is HTTP/1.1, and no client sets allowH2): node:http2 and the node:tls it pulls in
 * cost some 6–8 ms of each run's start on Node 22. In the bundle it is a module that throws, which
 * undici takes as a Node without HTTP/2, as it was written to. The cloud SDKs stay outside the
 * bundle and keep the real one.
 */
const withoutHttp2: Plugin = {
  name: 'without-http2',
  setup(b) {
    b.onResolve({ filter: /^(node:)?http2$/ }, () => ({ path: 'http2', namespace: 'without-http2' }));
    b.onLoad({ filter: /.*/, namespace: 'without-http2' }, () => ({
      contents: "throw new Error('node:http2 is left out of the promship bundle (scripts/build.ts)');",
      loader: 'js',
    }));
  },
};

await rm(NEXT, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/cli.ts', 'src/daemon/run-process.ts'],
  outdir: NEXT,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
  external: [
    '@aws-sdk/*',
    '@smithy/*',
    '@azure/*',
    '@google-cloud/*',
    '@node-rs/*',
    'snappy',
    'pino',
    'pino-pretty',
    'prom-client',
  ],
  plugins: [withoutHttp2],
  // CommonJS dependencies bundled into ES modules call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __promshipRequire } from 'node:module'; const require = __promshipRequire(import.meta.url);",
  },
});

/** Each bundled package's directory (relative to ROOT), from the files esbuild read. */
const packageDirs = new Set<string>();
for (const input of Object.keys(metafile.inputs)) {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) packageDirs.add(m[1]!);
}
const notices: string[] = [];
for (const dir of [...packageDirs].sort()) {
  const pkg = JSON.parse(await readFile(join(ROOT, dir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    license?: string;
  };
  const files = (await readdir(join(ROOT, dir))).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f)).sort();
  if (files.length === 0) throw new Error(`${pkg.name} is bundled but ships no licence file: add its licence by hand`);
  const texts = await Promise.all(files.map((f) => readFile(join(ROOT, dir, f), 'utf8')));
  notices.push(`${pkg.name}@${pkg.version} (${pkg.license ?? 'see below'})\n\n${texts.join('\n').trim()}\n`);
}
await writeFile(
  join(NEXT, 'THIRD-PARTY-LICENSES.txt'),
  `Packages bundled into promship's dist/, and their licences.\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`,
);

const OLD = join(ROOT, `dist.old-${process.pid}`);
await rename(DIST, OLD).catch((err: unknown) => {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
});
await rename(NEXT, DIST);
await rm(OLD, { recursive: true, force: true });
