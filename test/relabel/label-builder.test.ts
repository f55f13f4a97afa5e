/**
 * The builder's result against a plain model of Prometheus' labels.Builder: start from the
 * originals, apply each set (an empty value deletes) and delete in order, sort by name. Random
 * edits on random sorted label sets, including names that sort between, before and after the
 * originals, names set, deleted and set again, and labeldrop/labelkeep before and after other edits.
 */
import t from 'tap';
import { compareStrings, type Labels } from '../../src/labels.ts';
import { LabelBuilder } from '../../src/relabel/label-builder.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

t.test('labels() equals the model after random edits', (t) => {
  const random = seededRandom(7);
  const next = random.next;
  const pick = random.pick;
  const names = ['__name__', 'a', 'b', 'ba', 'c', 'job', 'z', 'é', '\u{1F600}'];
  const lb = new LabelBuilder();
  const wrong: string[] = [];
  for (let round = 0; round < 5000; round++) {
    const base: Labels = names
      .filter(() => next() < 0.5)
      .map((n) => [n, pick(['1', '2', 'x'])] as [string, string])
      .sort((x, y) => compareStrings(x[0], y[0]));
    const model = new Map(base);
    lb.reset(base);
    const edits: string[] = [];
    for (let e = Math.floor(next() * 6); e > 0; e--) {
      const name = pick(names);
      const op = next();
      if (op < 0.15) {
        // labeldrop (matching) or labelkeep (not matching) over a random set of names.
        const set = new Set(names.filter(() => next() < 0.3));
        const matching = next() < 0.5;
        lb.deleteNames({ matches: (n) => set.has(n) }, matching);
        for (const n of [...model.keys()]) if (set.has(n) === matching) model.delete(n);
        edits.push(`${matching ? 'labeldrop' : 'labelkeep'} ${[...set].join('|')}`);
      } else if (op < 0.4) {
        lb.del(name);
        model.delete(name);
        edits.push(`del ${name}`);
      } else {
        const value = pick(['', 'v', 'w']);
        lb.set(name, value);
        if (value === '') model.delete(name);
        else model.set(name, value);
        edits.push(`set ${name}=${value}`);
      }
    }
    const want = [...model].sort((x, y) => compareStrings(x[0], y[0]));
    const got = lb.labels();
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      wrong.push(`${JSON.stringify(base)} ${edits.join(', ')}: ${JSON.stringify(got)}`);
    }
    if (edits.length === 0 && got !== base) wrong.push(`${JSON.stringify(base)}: not the input itself`);
  }
  t.same(wrong.slice(0, 5), [], 'every result equals the model');
  t.end();
});
