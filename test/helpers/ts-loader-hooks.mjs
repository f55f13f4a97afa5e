// Module hooks for ts-loader.mjs: every local `.ts` module is compiled by esbuild on load. The
// output is kept in node_modules/.cache/promship/ts under a hash of the source, its path and the
// options, so a test process whose modules did not change starts no esbuild service at all
// (about 0.1 s of CPU per test process, measured on an empty test file).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const OPTIONS = {
  loader: 'ts',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
};
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/promship/ts/', import.meta.url));
let esbuildVersion;
let transform;

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  esbuildVersion ??= JSON.parse(
    await readFile(new URL('../../node_modules/esbuild/package.json', import.meta.url), 'utf8'),
  ).version;
  const key = createHash('sha256')
    .update(JSON.stringify([esbuildVersion, OPTIONS, path]))
    .update(source)
    .digest('hex');
  const cached = `${CACHE}${key}.js`;
  try {
    return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
  } catch {
    // Not compiled yet: below.
  }
  transform ??= (await import('esbuild')).transform;
  const { code } = await transform(source, { ...OPTIONS, sourcefile: path });
  // Written whole under a temporary name, then renamed: a parallel test process reads either no
  // file or the complete one. A cache that cannot be written (full disk, read-only) only costs speed.
  const temp = `${cached}.${process.pid}.tmp`;
  try {
    await mkdir(CACHE, { recursive: true });
    await writeFile(temp, code);
    await rename(temp, cached);
  } catch {
    await rm(temp, { force: true }).catch(() => {});
  }
  return { format: 'module', source: code, shortCircuit: true };
}
