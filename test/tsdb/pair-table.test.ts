/**
 * The pair table against a Map: the same id for the same (name, value) every time, a new dense id
 * for each new pair, and the right count per pair, with values under one name (most of them) and
 * values shared by several names (which take the hashed path), through the table's growth.
 */
import t from 'tap';
import { PairTable } from '../../src/tsdb/pair-table.ts';
import { rng } from '../helpers/tsdb-fixtures.ts';

t.test('ids and counts agree with a Map over random pairs', async (t) => {
  for (const seed of [1, 2, 3]) {
    const random = rng(seed);
    const symbols = 5000;
    const table = new PairTable(symbols);
    const ids = new Map<string, number>();
    const counts: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      // A third of the lookups use a few values under many names; the rest a value's own name.
      const shared = random() < 0.3;
      const value = shared ? Math.floor(random() * 20) : 20 + Math.floor(random() * (symbols - 20));
      const name = shared ? Math.floor(random() * 300) : value % 7;
      const key = `${name},${value}`;
      const id = table.count(name, value);
      const known = ids.get(key);
      if (known === undefined) {
        if (id !== ids.size) t.fail(`seed ${seed}: new pair ${key} got id ${id}, not the next (${ids.size})`);
        ids.set(key, id);
        counts[id] = 0;
      } else if (known !== id) {
        t.fail(`seed ${seed}: pair ${key} got id ${id}, earlier ${known}`);
      }
      counts[id]!++;
    }
    t.equal(table.size, ids.size, `seed ${seed}: ${ids.size} pairs`);
    t.ok(ids.size > 20 * 100, 'many values shared by several names');
    const names = table.names.view();
    const values = table.values.view();
    t.same(
      [...ids.values()].map((id) => `${names[id]},${values[id]}`),
      [...ids.keys()],
      'each id holds its own name and value',
    );
    t.same([...table.counts.view()], counts, 'counts per pair');
  }
});

t.test('a position outside the table is an error, not a wrong id', async (t) => {
  const table = new PairTable(10);
  t.throws(() => table.count(1, 10), RangeError);
});
