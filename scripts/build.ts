/**
 * `npm run build`: bundles the CLI and the agent's run process into dist/ with esbuild.
 *
 * Every `promship` command and every run the agent starts is a fresh process, and loading some
 * 400 small module files of undici, zod, yaml and protobufjs was most of a run's fixed cost. The
 * bundle is a handful of files; code reached only through a dynamic import (a store, the daemon,
 * the fleet view) stays in a chunk of its own, so a process still loads only what it uses.
 *
 * Left outside the bundle and loaded from node_modules: native addons, and the cloud SDKs (big,
 * loaded only by the process that uses that store, and tested as their authors ship them).
 * All output sits directly in dist/, one level below the package root, as src/*.ts does:
 * `src/package-root.ts` relies on that.
 */
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

const ROOT = new URL('..', import.meta.url).pathname;

await rm(`${ROOT}dist`, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/cli.ts', 'src/daemon/run-process.ts'],
  outdir: 'dist',
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
  // CommonJS dependencies bundled into ES modules call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __promshipRequire } from 'node:module'; const require = __promshipRequire(import.meta.url);",
  },
});
