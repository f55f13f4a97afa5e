/**
 * The README is the short front page and the runbook lives in docs/: these checks fail when the
 * two drift apart or go stale. The README stays under 10 KB and links every page; every local
 * link (and heading anchor) resolves; every log message promship writes at info or above, every
 * metric it exports and every `PROMSHIP_*` code the troubleshooting table names is documented;
 * and the first commands work for root in a container without `sudo`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import t from 'tap';

const ROOT = new URL('../../', import.meta.url).pathname;
const README_MAX_BYTES = 10 * 1024;
async function sources(dir: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p, ext)));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out;
}

const read = (path: string): Promise<string> => readFile(join(ROOT, path), 'utf8');

async function docPages(): Promise<string[]> {
  return (await sources(join(ROOT, 'docs'), '.md')).map((p) => relative(ROOT, p)).sort();
}

/** Markdown link targets outside code blocks, code spans stripped. */
function links(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

/** GitHub's heading anchor: lower case, punctuation other than `-` and `_` dropped, spaces to `-`. */
function anchors(markdown: string): Set<string> {
  const text = markdown.replace(/```[\s\S]*?```/g, '');
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{1,6} (.+)$/gm)) {
    out.add(
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return out;
}

void t.test(`README.md is at most ${README_MAX_BYTES} bytes`, async (t) => {
  const { size } = await stat(join(ROOT, 'README.md'));
  t.ok(size <= README_MAX_BYTES, `README.md is ${size} bytes`);
});

void t.test('README links every page in docs/, and BENCHMARKS.md and RELIABILITY.md', async (t) => {
  const targets = new Set(links(await read('README.md')).map((l) => l.split('#')[0]!));
  const pages = await docPages();
  t.ok(pages.length >= 8, 'the runbook pages are there');
  for (const page of [...pages, 'BENCHMARKS.md', 'RELIABILITY.md']) {
    t.ok(targets.has(page), `README links ${page}`);
  }
});

void t.test('every local link in README and docs/ resolves, anchors included', async (t) => {
  for (const page of ['README.md', ...(await docPages())]) {
    for (const link of links(await read(page))) {
      if (/^[a-z]+:/i.test(link)) continue;
      const [file, anchor] = link.split('#') as [string, string | undefined];
      const target = file === '' ? page : relative(ROOT, join(ROOT, dirname(page), file));
      const exists = await stat(join(ROOT, target)).then(
        () => true,
        () => false,
      );
      t.ok(exists, `${page}: ${link} exists`);
      if (exists && anchor !== undefined && target.endsWith('.md')) {
        t.ok(anchors(await read(target)).has(anchor), `${page}: ${link} names a heading of ${target}`);
      }
    }
  }
});

/** The message (last plain string literal) of every logger call at info level or above. */
function logMessages(code: string): string[] {
  const out: string[] = [];
  const call = /logger\??\.(info|warn|error|fatal)\(/g;
  for (let m = call.exec(code); m; m = call.exec(code)) {
    let depth = 1;
    let i = m.index + m[0].length;
    for (; i < code.length && depth > 0; i++) {
      if (code[i] === '(') depth++;
      else if (code[i] === ')') depth--;
    }
    const args = code.slice(m.index + m[0].length, i - 1);
    const literals = [...args.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((x) => x[1]!);
    if (literals.length > 0) out.push(literals.at(-1)!.replace(/\\'/g, "'"));
  }
  return out;
}

void t.test('every log message at info or above is documented in docs/logs-and-metrics.md', async (t) => {
  const page = await read('docs/logs-and-metrics.md');
  const messages = new Set<string>();
  for (const file of await sources(join(ROOT, 'src'), '.ts')) {
    for (const msg of logMessages(await readFile(file, 'utf8'))) messages.add(msg);
  }
  t.ok(messages.has('shipped block') && messages.has('window failed'), 'the scanner finds the messages');
  for (const msg of messages) {
    const documented = page.includes(`\`${msg}\``) || page.includes(`\`${msg.split(':')[0]}: …\``);
    t.ok(documented, `docs/logs-and-metrics.md documents \`${msg}\``);
  }
});

void t.test('every metric promship exports is documented in docs/logs-and-metrics.md', async (t) => {
  const page = await read('docs/logs-and-metrics.md');
  const names = new Set<string>();
  for (const file of await sources(join(ROOT, 'src'), '.ts')) {
    for (const m of (await readFile(file, 'utf8')).matchAll(/name: '(promship_[a-z_]+)'/g)) names.add(m[1]!);
  }
  t.ok(names.has('promship_shipping_lag_seconds'), 'the scanner finds the metrics');
  for (const name of names) t.ok(page.includes(`\`${name}`), `docs/logs-and-metrics.md documents ${name}`);
});

void t.test('the first commands need no sudo for root, and use it for anyone else', async (t) => {
  const readme = await read('README.md');
  const first = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  t.match(first, 'npm run demo', 'the first block runs the demo');
  t.match(first, 'npm run test:all', 'and the whole suite');
  const commands = first.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  for (const line of commands) {
    t.notMatch(line, /(^|[;&|]\s*)sudo\s/, `no bare sudo: ${line}`);
  }
  // The suite installs Debian packages itself: it must pick sudo only when not root.
  const pkg = JSON.parse(await read('package.json')) as { scripts: Record<string, string> };
  const script = /bash (\S+\.sh)/.exec(pkg.scripts['test:all'] ?? '')?.[1];
  t.ok(script, 'test:all runs a script');
  const body = await read(script!);
  t.notMatch(body, /^\s*sudo\s/m, `${script} has no bare sudo`);
  if (body.includes('sudo')) t.match(body, /id -u/, `${script} chooses sudo by the user id`);
});
