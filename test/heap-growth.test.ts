import t from 'tap';
import { capHeapGrowth } from '../src/heap-growth.ts';

t.test("the cap is set unless the process' own flags name the factor", async (t) => {
  t.equal(capHeapGrowth(['--heap-growing-percent=50']), false);
  t.equal(capHeapGrowth(['--heap_growing_percent=0']), false);
  t.equal(capHeapGrowth(['--import', 'tsx', '--heap-growing-percent']), false);
  t.equal(capHeapGrowth(['--import', 'tsx', '--max-semi-space-size=4']), true);
  t.equal(capHeapGrowth([]), true);
});
