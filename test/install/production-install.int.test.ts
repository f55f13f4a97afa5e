/**
 * The runtime image's content works on its own: the Dockerfile's stages followed outside Docker
 * (compiled dist/, package.json and a `npm ci --omit=dev` node_modules without any dev
 * dependency), started with the image's command and the environment the Helm chart renders,
 * against a real Prometheus and an s3rver bucket. It serves its probes and metrics and ships
 * every window, and what lands in the bucket equals the source (promtool dumps compared).
 */
import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { bucketTarget } from '../helpers/bucket-targets.ts';
import { inspectBucket } from '../helpers/bucket-inspector.ts';
import { metricsWhen, startDaemon } from '../helpers/daemon.ts';
import { ROOT, deploymentOf, envOf, renderChart } from '../helpers/helm.ts';
import { buildProductionInstall } from '../helpers/production-install.ts';
import { freePort } from '../helpers/prometheus.ts';
import { checkShipped } from '../helpers/shipped-checks.ts';
import { H, startSource } from '../helpers/source.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('the production install runs `promship run` from the chart environment and ships', async (t) => {
  const dir = await tempDir(t);
  // The slow parts side by side: the install (tsc, npm ci) and the source Prometheus.
  const [install, source] = await Promise.all([buildProductionInstall(join(dir, 'image')), startSource(t, dir)]);

  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    devDependencies: Record<string, string>;
    dependencies: Record<string, string>;
  };
  const modules = join(install.appDir, 'node_modules');
  // npm marks a package `dev` in the lockfile when only dev dependencies need it; one a production
  // dependency also needs (@types/node, through @google-cloud/storage's retry-request) belongs.
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean } | undefined>;
  };
  for (const dev of Object.keys(pkg.devDependencies)) {
    if (pkg.dependencies[dev] || lock.packages[`node_modules/${dev}`]?.dev !== true) continue;
    t.notOk(
      await access(join(modules, dev)).then(
        () => true,
        () => false,
      ),
      `dev dependency ${dev} is not installed`,
    );
  }
  t.same(
    (await readdir(install.appDir)).sort(),
    ['dist', 'node_modules', 'package.json'],
    'the image holds dist, package.json and node_modules only',
  );
  t.equal(install.command.at(-1), 'run', "the image's command is `promship run`");

  const target = await bucketTarget(t, 's3rver', join(dir, 'bucket'));
  const objects = await renderChart(t, {
    cluster: { id: source.external.cluster_id },
    prometheus: { url: source.prometheus.url },
    bucket: {
      url: target.env.PROMSHIP_BUCKET,
      s3: { endpoint: target.env.PROMSHIP_S3_ENDPOINT, region: target.env.PROMSHIP_S3_REGION, forcePathStyle: true },
      credentials: { accessKeyId: target.env.AWS_ACCESS_KEY_ID, secretAccessKey: target.env.AWS_SECRET_ACCESS_KEY },
    },
    shipping: { schedule: '*/2 * * * * *', maxBackfill: '1d', healthLogInterval: '1s' },
    dataVolume: { mountPath: join(dir, 'data') },
  });
  // The container's environment, with the chart Secret's values resolved as the kubelet would.
  const secret = objects.find((o) => o.kind === 'Secret');
  const env: Record<string, string> = {};
  for (const [name, e] of envOf(deploymentOf(objects).container)) {
    const ref = e.valueFrom?.secretKeyRef;
    env[name] = ref
      ? Buffer.from((secret?.data as Record<string, string>)[ref.key]!, 'base64').toString('utf8')
      : e.value!;
  }
  // Loopback only in tests; in the pod the chart's `:port` listens on the pod's interfaces.
  const port = await freePort();
  t.equal(env.PROMSHIP_LISTEN_ADDRESS, ':8080');
  env.PROMSHIP_LISTEN_ADDRESS = `127.0.0.1:${port}`;
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

  const version = startDaemon(t, {}, [...install.command.slice(0, -1), 'version']);
  t.equal(await version.exited, 0);
  t.equal(version.output().trim(), pkg.version, 'the built CLI reports the package version');

  const daemon = startDaemon(t, env, install.command);
  const windows = source.windowsWithData(2 * H);
  const first = await daemon.waitForLog((l) => l.msg === 'run finished', 90_000, 'the first run');
  t.equal(first.shipped, windows.size, 'the first run ships every window with data');
  t.equal(first.failed, 0);

  const base = `http://127.0.0.1:${port}`;
  t.equal((await fetch(`${base}/healthz`)).status, 200, '/healthz');
  const ready = await fetch(`${base}/readyz`);
  t.equal(ready.status, 200, `/readyz (${await ready.text()})`);
  const metrics = await metricsWhen(`${base}/metrics`, (m) => m.get('promship_blocks_shipped_total') === windows.size);
  t.equal(metrics.get('promship_blocks_shipped_total'), windows.size);
  t.equal(metrics.get(`promship_build_info{version="${pkg.version}"}`), 1);

  daemon.signal('SIGTERM');
  t.equal(await daemon.exited, 0, 'SIGTERM stops it with exit code 0');

  const { snap } = await checkShipped(t, inspectBucket(t, target), source, { blockMs: 2 * H, dir });
  t.equal(snap.blocks.length, windows.size, 'one block directory per window, none partial');
  for (const s of target.secrets) t.notOk(daemon.output().includes(s), 'the secret key never reaches the log');
});
