import t from 'tap';
import type { Labels } from '../../src/labels.ts';
import { DistinctStripper, stripExternalLabels } from '../../src/prometheus/external-labels.ts';

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
  t.same(
    stripExternalLabels(
      [
        ['__name__', 'up'],
        ['zone', 'c1'],
      ],
      external,
    ),
    [
      ['__name__', 'up'],
      ['zone', 'c1'],
    ],
  );
});

t.test('no external labels, no labels, or nothing to strip leave the set as it is', async (t) => {
  const labels: Labels = [
    ['__name__', 'up'],
    ['job', 'x'],
  ];
  t.same(stripExternalLabels(labels, []), labels);
  t.same(stripExternalLabels([], external), []);
  t.same(stripExternalLabels(labels, external), labels);
});

t.test('an empty external value only strips an equal empty value', async (t) => {
  t.same(
    stripExternalLabels(
      [
        ['a', ''],
        ['b', 'x'],
      ],
      [
        ['a', ''],
        ['b', ''],
      ],
    ),
    [['b', 'x']],
  );
});

t.test('DistinctStripper: twins keep the fewest external labels that set them apart', async (t) => {
  const twins = new DistinctStripper(external);
  const strip = (labels: Labels): Labels => twins.strip(labels);
  const merged: Labels = [
    ['__name__', 'up'],
    ['cluster_id', 'c1'],
    ['job', 'node'],
    ['region', 'eu'],
  ];
  // Up to four source series (with or without each of two external labels) arrive as `merged`.
  const out = [strip(merged), strip(merged), strip(merged), strip(merged)];
  t.same(
    out[0],
    [
      ['__name__', 'up'],
      ['job', 'node'],
    ],
    'the first is stripped as usual',
  );
  t.same(
    out[1],
    [
      ['__name__', 'up'],
      ['cluster_id', 'c1'],
      ['job', 'node'],
    ],
    'the next keeps one label, in sorted place',
  );
  t.same(out[2], [
    ['__name__', 'up'],
    ['job', 'node'],
    ['region', 'eu'],
  ]);
  t.same(out[3], merged, 'the last keeps both');
  t.equal(new Set(out.map((l) => JSON.stringify(l))).size, 4, 'all four are distinct');
  t.equal(twins.kept, 3, 'three of them kept an external label');
  t.same(
    strip([
      ['__name__', 'other'],
      ['cluster_id', 'c1'],
    ]),
    [['__name__', 'other']],
    'other series are stripped as usual',
  );
  t.same(
    strip([
      ['__name__', 'up'],
      ['cluster_id', 'c2'],
    ]),
    [
      ['__name__', 'up'],
      ['cluster_id', 'c2'],
    ],
    'an own value is kept',
  );
});
