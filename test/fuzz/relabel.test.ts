/**
 * Random rule sets on random label sets never crash: a rule set either compiles or fails with a
 * typed configuration error, and a compiled one always yields null (dropped) or a sorted label
 * set of unique, valid names and non-empty values. `FUZZ_RUNS` rule sets (100,000 in
 * `npm run test:fuzz`), each applied to a few label sets.
 */
import t from 'tap';
import { ConfigError } from '../../src/errors.ts';
import { compareStrings } from '../../src/labels.ts';
import { Relabeler } from '../../src/relabel/apply.ts';
import { ACTIONS, compileRule, type RuleSpec } from '../../src/relabel/rules.ts';
import { seededRandom, type SeededRandom } from '../helpers/seeded-random.ts';
import { fuzzRuns, fuzzSeed } from './fuzz-support.ts';

const NAMES = ['__name__', 'job', 'instance', 'a', 'b', 'b1', 'pod', 'container', '__tmp', 'x_y', 'ÿ', '0bad', ''];
const VALUES = [
  '',
  'foo',
  'bar',
  'foo\nbar',
  'up',
  'node_cpu_seconds_total',
  '😀',
  'ß',
  'İ',
  '$1',
  'a;b',
  'x'.repeat(40),
];
const REGEXES = [
  '(.*)',
  '',
  '.*',
  'f(.*)',
  '(b.*)',
  '(?P<n>.)(.*)',
  'a|b|up',
  '[[:alpha:]]+',
  '\\pL+',
  '(?i)FOO',
  '\\Q.*\\E',
  '(a',
  '(?=x)',
  'a{2000}',
  '(.)\\1',
  '.+o.+',
  '[]a]',
  'x*',
  '(?s:.)',
];
const TEMPLATES = [
  '$1',
  '${1}',
  '$1x',
  '${n}',
  '$$',
  '$',
  '${',
  'lit',
  '',
  'bar_${1}',
  '$0',
  '${2}${1}',
  'é$1',
  '${1}_${2}',
];

function pick<T>(r: SeededRandom, items: readonly T[]): T {
  return r.pick(items);
}

function randomSpec(r: SeededRandom): RuleSpec {
  const spec: RuleSpec = {};
  if (r.next() < 0.9) spec.action = r.next() < 0.05 ? 'bogus' : pick(r, ACTIONS);
  if (r.next() < 0.7)
    spec.sourceLabels = Array.from({ length: r.int(0, 3) }, () =>
      pick(
        r,
        NAMES.filter((n) => n !== '' && n !== '0bad' && n !== 'ÿ'),
      ),
    );
  if (r.next() < 0.6) spec.regex = pick(r, REGEXES);
  if (r.next() < 0.6) spec.targetLabel = r.next() < 0.5 ? pick(r, NAMES) : pick(r, TEMPLATES);
  if (r.next() < 0.5) spec.replacement = pick(r, TEMPLATES);
  if (r.next() < 0.3) spec.separator = pick(r, [';', '', '\n', '$1']);
  if (r.next() < 0.3)
    spec.modulus = pick(r, ['0', '1', '7', '1000', '18446744073709551615', '18446744073709551616', '-1', 'x']);
  // Half the time, shape the rule as its action wants, so most rule sets get past validation.
  if (r.next() < 0.5) {
    const a = spec.action ?? 'replace';
    if (['labeldrop', 'labelkeep', 'labelmap'].includes(a)) {
      delete spec.sourceLabels;
      delete spec.targetLabel;
      delete spec.separator;
      delete spec.modulus;
      if (a !== 'labelmap') delete spec.replacement;
      else if (!/^\$\{?[0-9a-z]+\}?$|^[a-z_]+\$\{1\}$/.test(spec.replacement ?? '$1')) spec.replacement = 'bar_${1}';
    } else {
      spec.targetLabel = pick(r, ['job', 'a', 'b', 'x_y', '__tmp']);
      if (['keepequal', 'dropequal', 'lowercase', 'uppercase'].includes(a)) delete spec.replacement;
      if (['keepequal', 'dropequal'].includes(a)) {
        delete spec.regex;
        delete spec.separator;
        delete spec.modulus;
      }
      if (a === 'hashmod') spec.modulus = pick(r, ['1', '7', '1000', '18446744073709551615']);
      else delete spec.modulus;
    }
  }
  return spec;
}

t.test('random rule sets on random label sets never crash', async (t) => {
  const r = seededRandom(fuzzSeed(0x5e1abe1));
  const runs = fuzzRuns(3000);
  let compiled = 0;
  let failures = 0;
  for (let i = 0; i < runs; i++) {
    const specs = Array.from({ length: r.int(1, 3) }, () => randomSpec(r));
    let relabeler: Relabeler;
    try {
      relabeler = new Relabeler(specs.map((s, j) => compileRule(s, j)));
    } catch (err) {
      if (!(err instanceof ConfigError)) {
        failures++;
        t.fail(`untyped error for ${JSON.stringify(specs)}: ${String(err)}`);
      }
      continue;
    }
    compiled++;
    for (let k = 0; k < 3; k++) {
      const labels = new Map<string, string>();
      for (let n = r.int(0, 6); n > 0; n--) {
        const v = pick(r, VALUES);
        if (v !== '')
          labels.set(
            pick(
              r,
              NAMES.filter((x) => x !== ''),
            ),
            v,
          );
      }
      const input = [...labels].sort((a, b) => compareStrings(a[0], b[0]));
      let out;
      try {
        out = relabeler.process(input);
      } catch (err) {
        failures++;
        t.fail(`crash on ${JSON.stringify(input)} with ${JSON.stringify(specs)}: ${String(err)}`);
        continue;
      }
      if (out === null) continue;
      for (let j = 0; j < out.length; j++) {
        const [name, value] = out[j]!;
        const ok = value !== '' && name !== '' && (j === 0 || compareStrings(out[j - 1]![0], name) < 0);
        if (!ok) {
          failures++;
          t.fail(`bad output ${JSON.stringify(out)} from ${JSON.stringify(input)} with ${JSON.stringify(specs)}`);
          break;
        }
      }
    }
    if (failures > 5) break;
  }
  t.equal(failures, 0);
  t.ok(compiled > runs / 10, `a fair share of rule sets compile (${compiled} of ${runs})`);
});
