import t from 'tap';
import { capHeapGrowth } from '../../src/daemon/heap-growth.ts';

t.test("on Node 20 the cap is set unless the process' own flags name the factor", async (t) => {
  t.equal(capHeapGrowth(['--heap-growing-percent=50'], '20.20.2'), false);
  t.equal(capHeapGrowth(['--heap_growing_percent=0'], '20.20.2'), false);
  t.equal(capHeapGrowth(['--import', 'tsx', '--heap-growing-percent'], '20.20.2'), false);
  t.equal(capHeapGrowth(['--import', 'tsx', '--max-semi-space-size=4'], '20.20.2'), true);
  t.equal(capHeapGrowth([], '20.18.0'), true);
});

t.test('from Node 22 on, V8 keeps its own factor', async (t) => {
  t.equal(capHeapGrowth([], '22.23.5'), false);
  t.equal(capHeapGrowth(['--max-semi-space-size=4'], '24.1.0'), false);
});
