/**
 * The run process the agent forks (src/daemon/spawn-run.ts). The orphan guard is evaluated first,
 * and the run itself (./one-run.ts) is loaded only after it, so an agent lost while the run's
 * modules load is seen too, and after the heap's growth is capped (./heap-growth.ts). A dynamic
 * import is the one order that holds both from source and in the bundle, where a file's static
 * imports are evaluated before its own code.
 */
import './orphan-guard.ts';
import { capHeapGrowth } from './heap-growth.ts';

capHeapGrowth();
await import('./one-run.ts');
