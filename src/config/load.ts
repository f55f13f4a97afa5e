/**
 * Turns environment and flags into a validated `Config`. A flag wins over its environment
 * variable, which wins over the default. Every problem becomes one `ConfigError` line naming the
 * variable (and flag) and what is wrong, never echoing a secret's value.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { crossChecks, options, type Config, type OptionName, type OptionSpec } from './schema.ts';

const names = Object.keys(options) as OptionName[];
const byFlag = new Map<string, OptionName>(names.map((n) => [options[n].flag, n]));

export interface RawConfigInput {
  env: NodeJS.ProcessEnv | Record<string, string | undefined>;
  /** Flags only (`--name=value`, `--name value`, or a bare boolean `--name`). */
  argv?: readonly string[];
}

/** Splits flags from positional arguments; unknown flags are an error. */
export function parseFlags(argv: readonly string[]): { flags: Map<OptionName, string>; positional: string[] } {
  const flags = new Map<OptionName, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const name = byFlag.get(flag);
    if (!name) throw new ConfigError(`unknown flag ${flag}; see 'promship --help'`);
    if (eq >= 0) {
      flags.set(name, arg.slice(eq + 1));
    } else if (isBoolean(options[name]) && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) {
      flags.set(name, 'true');
    } else {
      const next = argv[i + 1];
      // A following flag is never taken as the value: `--prometheus-url --password-file=x`
      // would otherwise quote the second flag, and whatever secret it carries, in the error
      // (found by test/fuzz).
      if (next === undefined || next.startsWith('--')) throw new ConfigError(`flag ${flag} needs a value`);
      flags.set(name, next);
      i++;
    }
  }
  return { flags, positional };
}

function isBoolean(spec: OptionSpec<unknown>): boolean {
  return spec.default === 'false' || spec.default === 'true';
}

export interface LoadOptions {
  /**
   * Check that every file setting names a readable file (default). Off only where the files live
   * elsewhere, e.g. checking a Helm chart's rendered environment outside its pod.
   */
  checkFiles?: boolean;
}

/**
 * The settings of a command that needs only some of them (`promship fleet` reads the bucket and
 * nothing else): only `only` are parsed and checked, a flag of any other setting is refused, and
 * the rules between settings, which concern Prometheus and shipping, are not applied.
 */
export function loadConfigSubset<K extends OptionName>(
  input: RawConfigInput,
  only: readonly K[],
  opts: LoadOptions = {},
): Pick<Config, K> {
  return loadConfig(input, { ...opts, only });
}

export function loadConfig(input: RawConfigInput, opts: LoadOptions & { only?: readonly OptionName[] } = {}): Config {
  const { flags, positional } = parseFlags(input.argv ?? []);
  if (positional.length > 0) throw new ConfigError(`unexpected argument '${positional[0]}'; see 'promship --help'`);
  const out: Record<string, unknown> = {};
  const given = (name: OptionName): string => (flags.has(name) ? options[name].flag : options[name].env);
  const selected = opts.only ? new Set<OptionName>(opts.only) : undefined;
  if (selected) {
    for (const name of flags.keys())
      if (!selected.has(name))
        throw new ConfigError(`flag ${options[name].flag} is not used by this command; see 'promship --help'`);
  }
  for (const name of selected ? names.filter((n) => selected.has(n)) : names) {
    const spec = options[name] as OptionSpec<unknown>;
    const fromFlag = flags.get(name);
    const fromEnv = input.env[spec.env];
    const raw = fromFlag ?? fromEnv ?? spec.default ?? '';
    const where = given(name);
    let parsed: ReturnType<typeof spec.schema.safeParse>;
    try {
      parsed = spec.schema.safeParse(raw);
    } catch (err) {
      // A transform that throws (e.g. decodeURIComponent on a malformed %-escape in a bucket URL,
      // found by test/fuzz) must still end as one ConfigError line naming the setting.
      const why = spec.secret === true ? 'the value cannot be parsed' : `cannot be parsed (${(err as Error).message})`;
      throw new ConfigError(`invalid ${where}: ${why}`, { cause: err });
    }
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const why = oneLine(issue?.message ?? 'invalid value');
      throw new ConfigError(`invalid ${where}: ${why}`);
    }
    out[name] = parsed.data;
  }
  const config = out as Config;
  for (const check of selected ? [] : crossChecks) {
    const found = check(config, given);
    if (found) throw new ConfigError(`invalid ${given(found.about)}: ${oneLine(found.problem)}`);
  }
  if (opts.checkFiles !== false) {
    for (const name of selected ? names.filter((n) => selected.has(n)) : names) {
      const path = config[name];
      if (options[name].file !== true || typeof path !== 'string') continue;
      const problem = unreadable(path);
      if (problem) throw new ConfigError(`invalid ${given(name)}: ${oneLine(problem)}`);
    }
  }
  return config;
}

/**
 * Why `path` cannot be read, or undefined: a file that is missing when promship starts is a
 * configuration error, not a failure of every request later. Checked without reading it, so no
 * contents can end up in a message.
 */
function unreadable(path: string): string | undefined {
  try {
    if (statSync(path).isDirectory()) return `'${path}' is a directory, not a file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why =
      typeof code === 'string' ? `${code}${FILE_ERRORS[code] ? `: ${FILE_ERRORS[code]}` : ''}` : 'not readable';
    return `cannot read '${path}' (${why})`;
  }
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

/**
 * Messages quote the value that was wrong; a value with a newline or other control character
 * (found by test/fuzz) must not break the one-line error.
 */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this replaces
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** The help text for all options, grouped, straight from the schema. */
export function optionsHelp(): string {
  const lines: string[] = [];
  let group = '';
  for (const name of names) {
    const spec = options[name] as OptionSpec<unknown>;
    if (spec.group !== group) {
      group = spec.group;
      lines.push('', `${group[0]!.toUpperCase()}${group.slice(1)}:`);
    }
    const def = spec.default !== undefined && spec.default !== '' ? ` (default ${spec.default})` : '';
    lines.push(`  ${spec.flag}, ${spec.env}${def}`, `      ${spec.description}`);
  }
  return lines.join('\n');
}
