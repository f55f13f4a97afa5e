/**
 * Prometheus restarts (SIGTERM, then started again on the same port and data directory, as a pod
 * restart looks to promship) while promship is in the middle of reading a window. The answer is
 * held after its first bytes so the restart lands inside the read, and the rest of it is lost
 * with the restart, as when a pod's network goes away with it. (Held bytes cannot simply be let
 * through: the kernel's loopback buffers take a whole test-sized answer, about 4 MB, before
 * Prometheus notices anything, so it would finish its answer and then stop cleanly.)
 * The interrupted window must fail with a remote-read code and never pass as a shorter window;
 * while Prometheus is down and starting, reads fail too; the failures are in the logs and the
 * metrics; and once Prometheus is back every window ships exactly once, equal to the source.
 */
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { blockFileProblems, inspectBucket } from '../helpers/bucket-inspector.ts';
import { startChaosProxy } from '../helpers/chaos-proxy.ts';
import { startDaemon } from '../helpers/daemon.ts';
import { agentEnv, checkFailureAccount, isQuietRun, reportResult, RUN_FAILED } from '../helpers/fault-scenario.ts';
import { startRestartablePrometheus } from '../helpers/restartable-prometheus.ts';
import { checkShipped } from '../helpers/shipped-checks.ts';
import { H, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

const BLOCK = 2 * H;

t.test('Prometheus restarts in the middle of a read: that window fails visibly, then every window ships', async (t) => {
  const dir = await tempDir(t);
  const source = await startSource(t, dir, { windows: 2, scale: 2 });
  // The same data, served by a Prometheus that can be restarted on its port.
  await source.prometheus.stop();
  const prometheus = await startRestartablePrometheus(t, {
    dataDir: source.prometheus.dataDir,
    configDir: dir,
    externalLabels: source.external,
  });
  const proxy = await startChaosProxy(t, { upstream: prometheus.url, dialect: 'prometheus', rate: 0, seed: 1 });
  const target = await bucketTarget(t, 'fauxqs', join(dir, 'bucket'));
  const { env, metricsUrl } = await agentEnv(join(dir, 'data'), {
    ...target.env,
    PROMSHIP_PROMETHEUS_URL: proxy.url,
    PROMSHIP_BLOCK_DURATION: '2h',
    // Longer than the restart takes: the read must fail because Prometheus went away, not because
    // promship gave up waiting.
    PROMSHIP_PROMETHEUS_TIMEOUT: '30s',
  });

  let restart: { signal: string | null; exitCode: number | null; ms: number } | undefined;
  const interrupted = proxy.interruptNext({
    match: (r) => r.method === 'POST' && r.path.endsWith('/api/v1/read'),
    afterBytes: 32 * 1024,
    action: async () => {
      restart = await prometheus.stop();
    },
    then: 'drop',
  });
  const daemon = startDaemon(t, env);
  const outcome = await interrupted;
  t.comment(
    `the interrupted answer: ${outcome.bytes} bytes, then Prometheus stopped in ${restart!.ms} ms (signal ${String(restart!.signal)}, exit code ${String(restart!.exitCode)})`,
  );
  const failed = await daemon.waitForLog((l) => l.msg === 'window failed', 60_000, 'the interrupted window failing');
  t.match(
    failed.code,
    /^PROMSHIP_REMOTE_READ_(TRUNCATED|CONNECT|STREAM_ERROR|FRAME_CRC|DECODE)$/,
    `the interrupted read failed its window with ${String(failed.code)}`,
  );
  t.match(String(failed.err), /Remote read of window/, 'the line says which read failed');
  // Down for a while, as a pod is between its old and new container: what runs meanwhile fails.
  const whileDown = await daemon.waitForLog(
    (l) => l !== failed && (l.msg === 'window failed' || l.msg === RUN_FAILED),
    60_000,
    'a failure while Prometheus is down',
  );
  t.match(whileDown.code, /^PROMSHIP_REMOTE_READ_CONNECT$/, `while Prometheus is down: ${String(whileDown.code)}`);
  await prometheus.start();
  const started = Date.now();
  await daemon.waitForLog(isQuietRun, 300_000, 'a run with nothing left to ship');
  const recoveryMs = Date.now() - started;
  const account = await checkFailureAccount(t, daemon, metricsUrl, /^PROMSHIP_REMOTE_READ_[A-Z_]+$/);
  daemon.signal('SIGTERM');
  t.equal(await daemon.exited, 0, 'the agent stops cleanly');

  const bucket = inspectBucket(t, target);
  const { snap, ours } = await checkShipped(t, bucket, source, { blockMs: BLOCK, dir });
  const shippedFailedWindow = daemon.logs.some((l) => l.msg === 'shipped block' && l.window === failed.window);
  t.ok(shippedFailedWindow, 'the interrupted window was shipped on a later run');
  await reportResult(t, 'prometheus-restart', {
    restart,
    readBytesBeforeRestart: outcome.bytes,
    failedWith: failed.code,
    windowsWithData: source.windowsWithData(BLOCK).size,
    blocks: ours.length,
    corruptObjects: snap.complete.flatMap(blockFileProblems).length,
    overlaps: ours.filter((m, i) => i > 0 && m.minTime < ours[i - 1]!.maxTime).length,
    partialUploadsLeft: snap.partial.length,
    windowFailures: account.windowFailures,
    runFailures: account.runFailures,
    recoverySeconds: Math.round(recoveryMs / 100) / 10,
  });
});
