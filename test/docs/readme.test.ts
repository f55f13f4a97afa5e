/**
 * The README's log-message table is what operators grep for: every message promship logs at
 * info or above must be documented there, and every `PROMSHIP_*` setting in the reference.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';

const ROOT = new URL('../../', import.meta.url).pathname;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

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

t.test('every log message at info or above is documented in the README', async (t) => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const messages = new Set<string>();
  for (const file of await sources(join(ROOT, 'src'))) for (const msg of logMessages(await readFile(file, 'utf8'))) messages.add(msg);
  t.ok(messages.has('shipped block') && messages.has('window failed'), 'the scanner finds the messages');
  for (const msg of messages) {
    const documented = readme.includes(`\`${msg}\``) || readme.includes(`\`${msg.split(':')[0]}: …\``);
    t.ok(documented, `README documents \`${msg}\``);
  }
});
