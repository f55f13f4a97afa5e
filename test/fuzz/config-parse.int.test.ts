/**
 * Target 4: the configuration parsers. `loadConfig` with random environment values and flags, and
 * `parseObjstoreConfig` with mutated Thanos objstore YAML (real-world shapes, anchors and aliases
 * included). Each input ends in a config or a `ConfigError`, quickly, and never echoes a secret.
 */
import fc from 'fast-check';
import t from 'tap';
import { isScalar, parseDocument, visit } from 'yaml';
import { parseObjstoreConfig } from '../../src/bucket/objstore-config.ts';
import { loadConfig } from '../../src/config/load.ts';
import { options } from '../../src/config/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { assertTyped, fuzzRuns, params, summary } from './fuzz-support.ts';

/** Part of every secret value; it must never show up in an error or a warning. */
const MARK = 'Zq9SeCrEt';

function assertConfigError(err: unknown, where: string): ConfigError {
  assertTyped(err, where);
  if (!(err instanceof ConfigError) || err.code !== 'PROMSHIP_CONFIG') {
    throw new Error(
      `${where}: rejected with ${(err as Error).name} ${(err as { code?: string }).code}, not ConfigError`,
    );
  }
  if (err.message.includes('\n'))
    throw new Error(`${where}: a ConfigError must be one line: ${JSON.stringify(err.message)}`);
  return err;
}

// ---- loadConfig ---------------------------------------------------------------------------

const specs = Object.values(options) as { env: string; flag: string; default?: string; secret?: boolean }[];

const interesting = fc.constantFrom(
  '',
  ' ',
  '0',
  '-1',
  '1',
  '65536',
  '1e400',
  'NaN',
  'Infinity',
  '0x10',
  'true',
  'FALSE',
  'yes',
  'off',
  'maybe',
  '5m',
  '0s',
  '0',
  '1h30m',
  '2h',
  '90',
  '99999999999999999999d',
  '1ms',
  '7d',
  '1y',
  '-5m',
  '5 m',
  '1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h!',
  'http://prometheus:9090',
  'https://h/p/',
  'http://u:p@h',
  'ftp://h',
  'http://',
  'http://[::1',
  'http://%zz',
  's3://bucket/prefix',
  's3://',
  's3:///x',
  's3://b/%E0%A4%A',
  's3://%E0%A4%A/x',
  'file:///var/lib/x',
  'file://host/x',
  'file:///%E0%A4%A',
  'file:///a%2Fb',
  'gs://b',
  'a=b,c=d',
  '=x',
  'a=',
  'a',
  ',',
  'a=b,,c=d',
  '__name__=x',
  'cluster=c1',
  'b=\u00e9',
  '*/5 * * * *',
  '61 * * * *',
  '* * * * * * *',
  '@hourly',
  ':8080',
  '127.0.0.1:0',
  '[::1]:99999',
  'debug',
  'json',
  'pretty',
  'SSE-S3',
  'SSE-KMS',
  'none',
  'when-required',
  'default',
  '\u0000',
  '\uD800',
  '\u{1F600}',
);

const value = fc.oneof(
  { weight: 4, arbitrary: interesting },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(interesting, fc.string({ maxLength: 5 }), interesting).map(([a, b, c]) => a + b + c),
  },
);

/** A secret option's value: random, but carrying the marker. */
const secretValue = fc.tuple(value, value).map(([a, b]) => `${a}${MARK}${b}`);

const envArb = fc
  .array(fc.tuple(fc.nat({ max: specs.length - 1 }), value, secretValue), { maxLength: 8 })
  .map((entries) => {
    const env: Record<string, string> = {};
    for (const [i, v, sv] of entries) env[specs[i]!.env] = specs[i]!.secret === true ? sv : v;
    return env;
  });

const argArb = fc.oneof(
  fc
    .tuple(fc.nat({ max: specs.length - 1 }), value, secretValue)
    .map(([i, v, sv]) => [`${specs[i]!.flag}=${specs[i]!.secret === true ? sv : v}`]),
  fc
    .tuple(fc.nat({ max: specs.length - 1 }), value)
    .map(([i, v]) => (specs[i]!.secret === true ? [specs[i]!.flag] : [specs[i]!.flag, v])),
  fc.nat({ max: specs.length - 1 }).map((i) => [specs[i]!.flag]),
  fc.constantFrom(['--'], ['--unknown-flag'], ['-x'], ['positional'], ['--=x'], ['--help=1']),
);
const argvArb = fc.array(argArb, { maxLength: 5 }).map((parts) => parts.flat());

// ---- objstore YAML --------------------------------------------------------------------------

const YAML_SEEDS = [
  `type: S3
config:
  bucket: "kubecost-thanos"
  endpoint: "s3.amazonaws.com"
  region: "us-east-1"
  access_key: "AKIA${MARK}1"
  secret_key: "${MARK}/secret+key"
  insecure: false
  signature_version2: false
  put_user_metadata:
    "X-Amz-Acl": "bucket-owner-full-control"
  http_config:
    idle_conn_timeout: 90s
    response_header_timeout: 2m
    insecure_skip_verify: false
  trace:
    enable: true
  part_size: 134217728
  sse_config:
    type: SSE-KMS
    kms_key_id: "key-${MARK}"
    kms_encryption_context: {a: b}
prefix: /clusters/one/
`,
  `type: s3
config: {bucket: b, endpoint: "minio.example:9000", insecure: true, access_key: x${MARK}, secret_key: '${MARK}0123', session_token: "${MARK}tok", bucket_lookup_type: path, max_retries: 3, list_objects_version: v1}
`,
  `type: FILESYSTEM
config:
  directory: /var/thanos
prefix: a/b
`,
  `common: &common
  bucket: shared
  endpoint: s3.eu-west-1.amazonaws.com
type: S3
config:
  <<: *common
  secret_key: ${MARK}
`,
  `type: S3
config: &c
  bucket: b
  endpoint: e
  http_config: &h {tls_config: {ca_file: /x}, max_idle_conns: 100}
  sse_config: {type: SSE-C, encryption_key: "${MARK}"}
`,
];

const YAML_TOKENS = [
  ':',
  ': ',
  '-',
  '- ',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '<<: ',
  '!!binary ',
  '!!str ',
  '!foo ',
  '{',
  '}',
  '[',
  ']',
  ',',
  "'",
  '"',
  '\\',
  '\n',
  '\n  ',
  '  ',
  '\t',
  '#',
  '%YAML 1.2\n---\n',
  '---\n',
  '...\n',
  '|',
  '>',
  '?',
  '? ',
  '@',
  '`',
  'null',
  '~',
  'true',
  'yes',
  '1e5',
  '0x1F',
  '-1',
  '99999999999999999999',
  'type',
  'config',
  'prefix',
  'bucket',
  'endpoint',
  'secret_key',
  'access_key',
  'http_config',
  'sse_config',
  'part_size',
  'directory',
  '__proto__',
  'constructor',
  '\u0000',
  '\uFEFF',
  '\u{1F600}',
];

interface TextMutation {
  kind: 'insertToken' | 'deleteChars' | 'dupLine' | 'dropLine' | 'swapLines' | 'replaceChar' | 'indent' | 'aliasBomb';
  pos: number;
  n: number;
  token: string;
  char: string;
}

const textMutation: fc.Arbitrary<TextMutation> = fc.record({
  kind: fc.oneof(
    {
      weight: 19,
      arbitrary: fc.constantFrom<TextMutation['kind']>(
        'insertToken',
        'insertToken',
        'insertToken',
        'deleteChars',
        'dupLine',
        'dropLine',
        'swapLines',
        'replaceChar',
        'indent',
      ),
    },
    // Rare: each one costs a full expansion up to the limit.
    { weight: 1, arbitrary: fc.constant<TextMutation['kind']>('aliasBomb') },
  ),
  pos: fc.nat({ max: 1 << 16 }),
  n: fc.integer({ min: 1, max: 12 }),
  token: fc.constantFrom(...YAML_TOKENS),
  char: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
});

function mutateText(text: string, mutations: readonly TextMutation[]): string {
  let s = text;
  for (const m of mutations) {
    const at = m.pos % (s.length + 1);
    const lines = s.split('\n');
    const li = m.pos % lines.length;
    switch (m.kind) {
      case 'insertToken':
        s = s.slice(0, at) + m.token + s.slice(at);
        break;
      case 'deleteChars':
        s = s.slice(0, at) + s.slice(at + m.n);
        break;
      case 'replaceChar':
        s = s.slice(0, at) + m.char + s.slice(at + 1);
        break;
      case 'dupLine':
        lines.splice(li, 0, lines[li]!);
        s = lines.join('\n');
        break;
      case 'dropLine':
        lines.splice(li, 1);
        s = lines.join('\n');
        break;
      case 'swapLines': {
        const lj = (li + m.n) % lines.length;
        [lines[li], lines[lj]] = [lines[lj]!, lines[li]!];
        s = lines.join('\n');
        break;
      }
      case 'indent':
        lines[li] = ' '.repeat(m.n) + lines[li]!;
        s = lines.join('\n');
        break;
      case 'aliasBomb': {
        // Nested aliases: n levels of ten references each.
        const defs = [`b0: &b0 [x, x, x, x, x, x, x, x, x, x]`];
        for (let i = 1; i <= m.n; i++)
          defs.push(
            `b${i}: &b${i} [${Array(10)
              .fill(`*b${i - 1}`)
              .join(', ')}]`,
          );
        lines.splice(li, 0, ...defs.map((d) => `  ${d}`));
        s = lines.join('\n');
        break;
      }
    }
  }
  return s;
}

t.test('configuration parsers under hostile input', async (t) => {
  await t.test('loadConfig: random environment and flags', async (t) => {
    const counts = { inputs: 0, loaded: 0, rejected: 0 };
    const started = Date.now();
    fc.assert(
      fc.property(envArb, argvArb, (env, argv) => {
        counts.inputs++;
        try {
          loadConfig({ env, argv });
          counts.loaded++;
        } catch (err) {
          const e = assertConfigError(err, 'loadConfig');
          if (e.message.includes(MARK)) throw new Error(`loadConfig echoed a secret: ${e.message}`, { cause: err });
          counts.rejected++;
        }
      }),
      params(fuzzRuns(100_000), 0x5eed0301),
    );
    t.ok(counts.loaded > 0 && counts.rejected > 0, 'both outcomes occur');
    t.pass(summary('loadConfig', counts, started));
  });

  await t.test('parseObjstoreConfig: mutated objstore YAML', async (t) => {
    for (const [i, y] of YAML_SEEDS.entries()) {
      try {
        parseObjstoreConfig(y, `seed${i}.yaml`);
      } catch (err) {
        assertConfigError(err, `seed ${i}`);
      }
    }
    const counts = { inputs: 0, parsed: 0, rejected: 0 };
    const started = Date.now();
    fc.assert(
      fc.property(fc.nat(), fc.array(textMutation, { minLength: 1, maxLength: 5 }), (which, mutations) => {
        counts.inputs++;
        const text = mutateText(YAML_SEEDS[which % YAML_SEEDS.length]!, mutations);
        try {
          const { warnings } = parseObjstoreConfig(text, 'fuzz.yaml');
          for (const w of warnings) if (w.includes(MARK)) throw new Error(`a warning echoes a secret: ${w}`);
          counts.parsed++;
        } catch (err) {
          const e = assertConfigError(err, 'parseObjstoreConfig');
          if (e.message.includes(MARK) && !keyHoldsMark(text))
            throw new Error(`parseObjstoreConfig echoed a secret value: ${e.message}`, { cause: err });
          counts.rejected++;
        }
      }),
      params(fuzzRuns(10_000), 0x5eed0302),
    );
    t.ok(counts.parsed > 0 && counts.rejected > 0, 'both outcomes occur');
    t.pass(summary('parseObjstoreConfig', counts, started));
  });
});

/**
 * Keys are quoted in errors on purpose (they name the setting); a mutation that turned a secret
 * into a key (`Zq9SeCrEt…: x`) is not a value being echoed.
 */
function keyHoldsMark(text: string): boolean {
  let found = false;
  visit(parseDocument(text, { schema: 'failsafe' }), {
    Pair(_, pair) {
      if (String(isScalar(pair.key) ? pair.key.value : pair.key).includes(MARK)) found = true;
    },
  });
  return found;
}
