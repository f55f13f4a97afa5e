/**
 * Log pipelines read promship's output one JSON object per line. Shipping to S3 loads the AWS
 * SDK, whose notice about its future Node requirement is nine lines of plain text per process on
 * Node 20; promship turns it off itself, so the output stays JSON without any setting.
 */
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { runCli } from '../helpers/cli.ts';
import { startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('promship once to S3 writes only JSON lines, no SDK notice', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { windows: 1 });
  const target = await bucketTarget(t, 'fauxqs', join(dir, 'bucket'));
  // As a user runs it: nothing that silences the SDK.
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _silenced, ...env } = target.env;
  const run = await runCli(['once'], {
    ...env,
    PROMSHIP_PROMETHEUS_URL: source.prometheus.url,
    PROMSHIP_DATA_DIR: join(dir, 'data'),
    PROMSHIP_MAX_BACKFILL: '1d',
  });
  t.equal(run.code, 0, `exit 0 (stderr: ${run.stderr.slice(0, 300)})`);
  t.notMatch(run.stderr, /NodeVersionSupportWarning/, 'no SDK notice on stderr');
  const lines = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.length > 0);
  t.ok(lines.length > 0);
  t.same(
    lines.filter((l) => !l.startsWith('{')),
    [],
    'every line is a JSON object',
  );
});
