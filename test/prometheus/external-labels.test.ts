import t from 'tap';
import type { Labels } from '../../src/labels.ts';
import { stripExternalLabels } from '../../src/prometheus/external-labels.ts';

const external: Labels = [
  ['cluster_id', 'c1'],
  ['region', 'eu'],
];

t.test('removes labels whose name and value equal an external label', async (t) => {
  t.same(
    stripExternalLabels(
      [
        ['__name__', 'up'],
        ['cluster_id', 'c1'],
        ['job', 'node'],
        ['region', 'eu'],
      ],
      external,
    ),
    [
      ['__name__', 'up'],
      ['job', 'node'],
    ],
  );
});

t.test("keeps a series' own label that shares a name but not the value", async (t) => {
  t.same(
    stripExternalLabels(
      [
        ['__name__', 'up'],
        ['cluster_id', 'own'],
        ['region', 'eu'],
      ],
      external,
    ),
    [
      ['__name__', 'up'],
      ['cluster_id', 'own'],
    ],
  );
});

t.test('keeps a label whose value equals an external value under another name', async (t) => {
  t.same(stripExternalLabels([['__name__', 'up'], ['zone', 'c1']], external), [['__name__', 'up'], ['zone', 'c1']]);
});

t.test('no external labels, no labels, or nothing to strip leave the set as it is', async (t) => {
  const labels: Labels = [['__name__', 'up'], ['job', 'x']];
  t.same(stripExternalLabels(labels, []), labels);
  t.same(stripExternalLabels([], external), []);
  t.same(stripExternalLabels(labels, external), labels);
});

t.test('an empty external value only strips an equal empty value', async (t) => {
  t.same(stripExternalLabels([['a', ''], ['b', 'x']], [['a', ''], ['b', '']]), [['b', 'x']]);
});
