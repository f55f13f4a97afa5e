/**
 * The Node flags a run process starts with: the agent's own, plus the runs' flags unless the
 * operator set the same flag (on the agent's command line or in NODE_OPTIONS). That Node obeys
 * them is run-node-flags.int.test.ts; that the agent's runs get them, agent-footprint.int.test.ts.
 */
import t from 'tap';
import { RUN_ENV, RUN_NODE_FLAGS, runEnv, runExecArgv } from '../../src/daemon/run-node-flags.ts';

t.test('the runs get the flags after the agent own ones', async (t) => {
  t.same(runExecArgv(['--import', 'tsx'], undefined), ['--import', 'tsx', ...RUN_NODE_FLAGS]);
  t.same(runExecArgv([], ''), [...RUN_NODE_FLAGS]);
});

t.test("an operator's own young-generation size wins, given either way", async (t) => {
  t.same(runExecArgv(['--max-semi-space-size=32'], undefined), ['--max-semi-space-size=32']);
  t.same(runExecArgv(['--max_semi_space_size=32'], undefined), ['--max_semi_space_size=32']);
  t.same(runExecArgv([], '--enable-source-maps --max-semi-space-size=8'), []);
  // Node takes quoted entries in NODE_OPTIONS.
  t.same(runExecArgv([], '"--max-semi-space-size=1"'), []);
});

t.test("the runs get the runs' environment beside the agent's, an operator's own value winning", async (t) => {
  t.same(runEnv({ PATH: '/bin' }), { PATH: '/bin', ...RUN_ENV });
  t.ok(Object.keys(RUN_ENV).includes('MALLOC_ARENA_MAX'));
  t.same(runEnv({ MALLOC_ARENA_MAX: '4' }), { ...RUN_ENV, MALLOC_ARENA_MAX: '4' });
  const agent = { PATH: '/bin' };
  runEnv(agent);
  t.same(agent, { PATH: '/bin' }, "the agent's own environment is left as it was");
});
