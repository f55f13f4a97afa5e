/**
 * Prometheus' own relabel test vectors (model/relabel/relabel_test.go), rewritten: the same
 * inputs, rules and expected outputs, run through our engine.
 */
import t from 'tap';
import type { Labels } from '../../src/labels.ts';
import { hashmod, Relabeler } from '../../src/relabel/apply.ts';
import { compileRule, parseRelabelYaml, type RuleSpec } from '../../src/relabel/rules.ts';

const L = (o: Record<string, string>): Labels => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1));
const run = (input: Record<string, string>, specs: RuleSpec[]): Record<string, string> | null => {
  const out = new Relabeler(specs.map((s, i) => compileRule(s, i))).process(L(input));
  return out === null ? null : Object.fromEntries(out);
};
const abc = { a: 'foo', b: 'bar', c: 'baz' };

t.test('replace with groups, chained rules see earlier edits', async (t) => {
  t.same(run(abc, [{ sourceLabels: ['a'], regex: 'f(.*)', targetLabel: 'd', replacement: 'ch${1}-ch${1}' }]), {
    ...abc,
    d: 'choo-choo',
  });
  t.same(
    run(abc, [
      { sourceLabels: ['a', 'b'], regex: 'f(.*);(.*)r', targetLabel: 'a', replacement: 'b${1}${2}m' },
      { sourceLabels: ['c', 'a'], regex: '(b).*b(.*)ba(.*)', targetLabel: 'd', replacement: '$1$2$2$3' },
    ]),
    { a: 'boobam', b: 'bar', c: 'baz', d: 'boooom' },
  );
});

t.test('keep and drop, first drop ends processing', async (t) => {
  t.equal(
    run(abc, [
      { sourceLabels: ['a'], regex: '.*o.*', action: 'drop' },
      { sourceLabels: ['a'], regex: 'f(.*)', targetLabel: 'd', replacement: 'x' },
    ]),
    null,
  );
  t.same(run(abc, [{ sourceLabels: ['a'], regex: '.*o.*', action: 'keep' }]), abc);
  t.equal(run({ a: 'foo' }, [{ sourceLabels: ['a'], regex: 'no-match', action: 'keep' }]), null);
  t.same(run({ a: 'foo' }, [{ sourceLabels: ['a'], regex: 'f|o', action: 'drop' }]), { a: 'foo' }, 'fully anchored');
  t.same(run({ a: 'abc' }, [{ sourceLabels: ['a'], regex: 'b', action: 'drop' }]), { a: 'abc' }, 'no partial match');
  t.equal(run({ a: 'foo' }, [{ sourceLabels: ['missing'], regex: '', action: 'drop' }]), null, 'a missing label is ""');
});

t.test('. matches a newline (Prometheus 3.x anchoring)', async (t) => {
  t.same(run({ a: 'line1\nline2' }, [{ sourceLabels: ['a'], regex: 'line1.*line2', action: 'keep' }]), {
    a: 'line1\nline2',
  });
  t.equal(run({ a: 'line1\nline2' }, [{ sourceLabels: ['a'], regex: 'line1.line2', action: 'drop' }]), null);
});

t.test('$1x is the group named 1x, ${1}x is group 1 then x; unknown groups are empty', async (t) => {
  t.same(
    run({ a: 'foo', b: 'bar' }, [{ sourceLabels: ['a'], regex: '(f)oo', targetLabel: 'b', replacement: '$1x' }]),
    { a: 'foo' },
    '$1x expands to "" and deletes b',
  );
  t.same(run({ a: 'foo' }, [{ sourceLabels: ['a'], regex: '(f)oo', targetLabel: 'b', replacement: '${1}x' }]), {
    a: 'foo',
    b: 'fx',
  });
  t.same(
    run({ a: 'foo' }, [
      { sourceLabels: ['a'], regex: '(?P<first>f)oo', targetLabel: 'b', replacement: '$first-$$-${first}-$-$9' },
    ]),
    { a: 'foo', b: 'f-$-f-$-' },
  );
});

t.test('a blank replacement deletes the target label', async (t) => {
  t.same(run({ a: 'foo', b: 'bar' }, [{ sourceLabels: ['a'], regex: 'foo', targetLabel: 'b', replacement: '' }]), {
    a: 'foo',
  });
  t.same(
    run({ b: 'bar' }, [{ sourceLabels: ['a'], targetLabel: 'd', replacement: 'x' }]),
    { b: 'bar', d: 'x' },
    'missing source, default regex: fast path sets',
  );
});

t.test('target label from groups; an invalid expanded target skips the rule', async (t) => {
  const input = { a: 'some-name-value' };
  const rule = (targetLabel: string): RuleSpec => ({
    sourceLabels: ['a'],
    regex: 'some-([^-]+)-([^,]+)',
    replacement: '${2}',
    targetLabel,
  });
  t.same(run(input, [rule('${1}')]), { a: 'some-name-value', name: 'value' });
  t.same(run(input, [rule('${3}')]), input);
  t.same(
    run({ a: 'some-0name-value' }, [rule('${1}')]),
    { a: 'some-0name-value' },
    'expands to 0name: not a label name',
  );
  t.same(
    run({ a: 'some-na.me-value' }, [rule('x${1}')]),
    { a: 'some-na.me-value' },
    'expands to xna.me: not a label name',
  );
});

t.test('hashmod: Prometheus vectors', async (t) => {
  t.same(run(abc, [{ sourceLabels: ['c'], targetLabel: 'd', action: 'hashmod', modulus: '1000' }]), {
    ...abc,
    d: '976',
  });
  t.same(run({ a: 'foo\nbar' }, [{ sourceLabels: ['a'], targetLabel: 'b', action: 'hashmod', modulus: '1000' }]), {
    a: 'foo\nbar',
    b: '734',
  });
  t.equal(hashmod('baz', 1000n), 976n);
  t.equal(hashmod('baz', 2n ** 64n - 1n) < 2n ** 64n, true);
});

t.test('labelmap copies matching names (originals stay)', async (t) => {
  const input = { a: 'foo', b1: 'bar', b2: 'baz' };
  t.same(run(input, [{ regex: '(b.*)', replacement: 'bar_${1}', action: 'labelmap' }]), {
    ...input,
    bar_b1: 'bar',
    bar_b2: 'baz',
  });
  t.same(
    run({ __meta_my_bar: 'aaa', __meta_my_baz: 'bbb', __meta_other: 'ccc' }, [
      { regex: '__meta_(my.*)', replacement: '${1}', action: 'labelmap' },
    ]),
    {
      __meta_my_bar: 'aaa',
      __meta_my_baz: 'bbb',
      __meta_other: 'ccc',
      my_bar: 'aaa',
      my_baz: 'bbb',
    },
  );
  t.same(
    run({ a: 'foo', b: 'bar' }, [{ regex: '(.)', replacement: 'x', action: 'labelmap' }]),
    { a: 'foo', b: 'bar', x: 'bar' },
    'last snapshot entry wins',
  );
});

t.test('labeldrop and labelkeep', async (t) => {
  const input = { a: 'foo', b1: 'bar', b2: 'baz' };
  t.same(run(input, [{ regex: '(b.*)', action: 'labelkeep' }]), { b1: 'bar', b2: 'baz' });
  t.same(run(input, [{ regex: '(b.*)', action: 'labeldrop' }]), { a: 'foo' });
  t.equal(run(input, [{ regex: 'nothing', action: 'labelkeep' }]), null, 'no labels left: dropped');
});

t.test('keepequal and dropequal', async (t) => {
  const input = { __tmp_port: '1234', __port1: '1234', __port2: '5678' };
  t.same(run(input, [{ sourceLabels: ['__tmp_port'], action: 'keepequal', targetLabel: '__port1' }]), input);
  t.equal(run(input, [{ sourceLabels: ['__tmp_port'], action: 'dropequal', targetLabel: '__port1' }]), null);
  t.same(run(input, [{ sourceLabels: ['__tmp_port'], action: 'dropequal', targetLabel: '__port2' }]), input);
  t.equal(run(input, [{ sourceLabels: ['__tmp_port'], action: 'keepequal', targetLabel: '__port2' }]), null);
});

t.test('lowercase and uppercase', async (t) => {
  t.same(
    run({ foo: 'bAr123Foo' }, [
      { sourceLabels: ['foo'], action: 'Uppercase', targetLabel: 'foo_uppercase' },
      { sourceLabels: ['foo'], action: 'LOWERCASE', targetLabel: 'foo_lowercase' },
    ]),
    { foo: 'bAr123Foo', foo_lowercase: 'bar123foo', foo_uppercase: 'BAR123FOO' },
  );
  t.same(
    run({ a: 'ßΣİ' }, [
      { sourceLabels: ['a'], action: 'uppercase', targetLabel: 'u' },
      { sourceLabels: ['a'], action: 'lowercase', targetLabel: 'l' },
    ]),
    {
      a: 'ßΣİ',
      l: 'ßσi',
      u: 'ßΣİ',
    },
    "Go's simple case mapping, per code point",
  );
});

t.test('target label validity table (relabel_test.go TestTargetLabelValidity)', async (t) => {
  const table: [string, boolean][] = [
    ['-label', false],
    ['label', true],
    ['label${1}', true],
    ['${1}label', true],
    ['${1}', true],
    ['${', false],
    ['$', false],
    ['${}', false],
    ['foo${', false],
    ['$1', true],
    ['asd$2asd', true],
    ['-foo${1}bar-', false],
    ['_${1}_', true],
    ['foo${bar}foo', true],
  ];
  for (const [target, valid] of table) {
    let ok = true;
    try {
      compileRule({ sourceLabels: ['a'], targetLabel: target }, 0);
    } catch {
      ok = false;
    }
    t.equal(ok, valid, target);
  }
});

t.test("invalid rules fail with Prometheus' message, naming index and field", async (t) => {
  const bad: [string, RegExp][] = [
    [
      '- action: hashmod\n  target_label: x',
      /^rule 0 \(modulus\): relabel configuration for hashmod requires non-zero modulus$/,
    ],
    [
      '- source_labels: [a]\n  target_label: b\n- action: replace',
      /^rule 1 \(target_label\): relabel configuration for replace action requires 'target_label' value$/,
    ],
    [
      '- action: lowercase\n  source_labels: [a]\n  target_label: b\n  replacement: x',
      /^rule 0 \(replacement\): 'replacement' can not be set for lowercase action$/,
    ],
    [
      '- action: keepequal\n  source_labels: [a]\n  target_label: b\n  regex: x',
      /^rule 0 \(regex\): keepequal action requires only 'source_labels' and `target_label`, and no other fields$/,
    ],
    [
      '- action: labeldrop\n  source_labels: [a]\n  regex: x',
      /^rule 0 \(source_labels\): labeldrop action requires only 'regex', and no other fields$/,
    ],
    [
      '- action: labelkeep\n  regex: x\n  target_label: y',
      /^rule 0 \(target_label\): labelkeep action requires only 'regex', and no other fields$/,
    ],
    ['- action: frobnicate', /^rule 0 \(action\): unknown relabel action "frobnicate"$/],
    [
      '- source_labels: [a]\n  regex: "(a"\n  action: keep',
      /^rule 0 \(regex\): error parsing regexp: missing closing \)/,
    ],
    ['- source_labels: [a]\n  regex: "(?=a)"\n  action: keep', /^rule 0 \(regex\): error parsing regexp: /],
    [
      '- source_labels: [a]\n  regex: "(a)\\\\1"\n  action: keep',
      /^rule 0 \(regex\): error parsing regexp: invalid escape sequence/,
    ],
    [
      '- source_labels: [a]\n  target_label: "1x"',
      /^rule 0 \(target_label\): "1x" is invalid 'target_label' for replace action$/,
    ],
    [
      '- action: labelmap\n  replacement: "-x"',
      /^rule 0 \(replacement\): "-x" is invalid 'replacement' for labelmap action$/,
    ],
    ['- source_labels: [a]\n  target_lable: b', /^rule 0 \(target_lable\): field target_lable not found/],
    ['- source_labels: [a-b]\n  action: keep', /^rule 0 \(source_labels\): "a-b" is not a valid label name$/],
    ['action: keep', /must be a YAML list/],
  ];
  for (const [yaml, want] of bad) t.throws(() => parseRelabelYaml(yaml), want, yaml);
});

t.test('prometheus-operator camelCase and snake_case parse alike', async (t) => {
  const snake = parseRelabelYaml(
    '- source_labels: [__name__]\n  regex: up\n  action: keep\n- source_labels: [job]\n  target_label: j\n',
  );
  const camel = parseRelabelYaml(
    'writeRelabelConfigs:\n- sourceLabels: [__name__]\n  regex: up\n  action: keep\n- sourceLabels: [job]\n  targetLabel: j\n',
  );
  const input = L({ __name__: 'up', job: 'x' });
  t.same(new Relabeler(camel.rules).process(input), new Relabeler(snake.rules).process(input));
  t.same(Object.fromEntries(new Relabeler(camel.rules).process(input) ?? []), { __name__: 'up', job: 'x', j: 'x' });
});
