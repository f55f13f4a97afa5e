/**
 * The rendered pod is locked down in every scenario (non-root, read-only root filesystem, no
 * privilege escalation, no capabilities, RuntimeDefault seccomp, no Kubernetes API token), and
 * credentials never appear in plain text: with an existing Secret nothing secret is rendered at
 * all, and inline credentials live only base64-encoded in the chart's Secret.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { SCENARIOS } from '../helpers/chart-scenarios.ts';
import {
  REQUIRED_VALUES,
  ROOT,
  deploymentOf,
  envOf,
  findObject,
  helmTemplate,
  parseManifests,
  renderChart,
} from '../helpers/helm.ts';

/** Variables whose values are credentials: only ever from a secretKeyRef. */
const SENSITIVE = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'PROMSHIP_PROMETHEUS_HEADERS'];

for (const scenario of SCENARIOS) {
  t.test(`${scenario.name}: the pod runs locked down`, async (t) => {
    const objects = await renderChart(t, scenario.values, scenario.opts);
    const { pod, container } = deploymentOf(objects);
    const podSc = pod.securityContext ?? {};
    const sc = container.securityContext ?? {};

    t.equal(podSc.runAsNonRoot, true, 'pod: runAsNonRoot');
    t.ok(Number(podSc.runAsUser) > 0, 'pod: a non-root numeric user');
    t.same(podSc.seccompProfile, { type: 'RuntimeDefault' }, 'pod: RuntimeDefault seccomp');
    t.equal(sc.runAsNonRoot, true, 'container: runAsNonRoot');
    t.ok(Number(sc.runAsUser) > 0, 'container: a non-root numeric user');
    t.equal(sc.readOnlyRootFilesystem, true, 'container: read-only root filesystem');
    t.equal(sc.allowPrivilegeEscalation, false, 'container: no privilege escalation');
    t.equal(sc.privileged, false, 'container: not privileged');
    t.same(sc.capabilities?.drop, ['ALL'], 'container: every capability dropped');
    t.notOk(sc.capabilities?.add, 'container: none added back');

    t.equal(pod.automountServiceAccountToken, false, 'pod: no service-account token');
    t.equal(
      findObject(objects, 'ServiceAccount').automountServiceAccountToken,
      false,
      'ServiceAccount: no token by default',
    );
    const podSpec = (findObject(objects, 'Deployment').spec as { template: { spec: Record<string, unknown> } }).template
      .spec;
    for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) t.notOk(podSpec[k], `pod: no ${k}`);
    t.notOk(
      pod.volumes?.some((v) => 'hostPath' in v),
      'pod: no hostPath volumes',
    );

    // The only writable places are the emptyDirs: the data dir and /tmp.
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    for (const m of container.volumeMounts ?? []) {
      const v = volumes.get(m.name);
      if (v?.emptyDir) continue;
      t.equal(m.readOnly, true, `${m.mountPath} is mounted read-only`);
    }
    const writable = (container.volumeMounts ?? [])
      .filter((m) => volumes.get(m.name)?.emptyDir)
      .map((m) => m.mountPath)
      .sort();
    t.same(
      writable,
      [envOf(container).get('PROMSHIP_DATA_DIR')?.value, '/tmp'].sort(),
      'writable: the data dir and /tmp, both emptyDirs',
    );

    t.ok(
      container.resources?.requests?.memory && container.resources.limits?.memory,
      'memory request and limit are set',
    );

    for (const name of SENSITIVE) {
      const e = envOf(container).get(name);
      if (e) t.equal(e.value, undefined, `${name} comes from a Secret, never a literal value`);
    }
  });
}

t.test('with the existing kubecost-thanos Secret nothing secret is rendered', async (t) => {
  const res = await helmTemplate(t, {}, { files: ['chart/ci/kubecost-thanos-secret-values.yaml'] });
  t.equal(res.code, 0, res.stderr);
  const objects = parseManifests(res.stdout);
  t.same(
    objects.filter((o) => o.kind === 'Secret'),
    [],
    'no Secret object',
  );
  const { pod, container } = deploymentOf(objects);
  t.same(
    pod.volumes?.filter((v) => v.secret).map((v) => v.secret!.secretName),
    ['kubecost-thanos'],
    'credentials come only from the existing Secret',
  );
  t.notMatch(res.stdout, /access_key|secret_key|AWS_SECRET_ACCESS_KEY/, 'no credential in any rendered object');
  t.notOk(pod.volumes?.some((v) => v.secret?.secretName === 'ship-promship'));
  t.same(
    [...envOf(container).keys()].filter((k) => SENSITIVE.includes(k)),
    [],
  );
});

t.test('AWS keys from an existing Secret are referenced, never rendered', async (t) => {
  const res = await helmTemplate(t, {
    ...REQUIRED_VALUES,
    bucket: {
      url: 's3://b',
      existingSecret: { name: 'aws-keys', objstoreConfigKey: '', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' },
    },
  });
  t.equal(res.code, 0, res.stderr);
  const objects = parseManifests(res.stdout);
  t.same(
    objects.filter((o) => o.kind === 'Secret'),
    [],
  );
  const env = envOf(deploymentOf(objects).container);
  t.same(env.get('AWS_ACCESS_KEY_ID')?.valueFrom?.secretKeyRef, { name: 'aws-keys', key: 'id' });
  t.same(env.get('AWS_SECRET_ACCESS_KEY')?.valueFrom?.secretKeyRef, { name: 'aws-keys', key: 'secret' });
});

t.test('inline credentials exist only base64-encoded in the chart Secret', async (t) => {
  const file = 'chart/ci/inline-credentials-values.yaml';
  const values = parse(await readFile(join(ROOT, file), 'utf8')) as {
    bucket: { credentials: { accessKeyId: string; secretAccessKey: string } };
    prometheus: { headers: Record<string, string> };
  };
  const secrets = [
    values.bucket.credentials.accessKeyId,
    values.bucket.credentials.secretAccessKey,
    ...Object.values(values.prometheus.headers),
  ];
  const res = await helmTemplate(t, {}, { files: [file] });
  t.equal(res.code, 0, res.stderr);
  for (const s of secrets)
    t.notOk(res.stdout.includes(s), 'no credential appears in plain text anywhere in the output');
  const secret = findObject(parseManifests(res.stdout), 'Secret');
  t.notOk('stringData' in secret, 'the Secret has no stringData');
  const decoded = Object.values(secret.data as Record<string, string>)
    .map((v) => Buffer.from(v, 'base64').toString('utf8'))
    .join('\n');
  for (const s of secrets) t.ok(decoded.includes(s), 'each credential is in the Secret');

  // The inline objstore YAML of another scenario, too.
  const custom = await helmTemplate(t, {}, { files: ['chart/ci/custom-cluster-label-values.yaml'] });
  t.notOk(custom.stdout.includes('objstore-secret-key-example'), 'the inline objstore YAML is not in plain text');
  t.notOk(custom.stdout.includes('secret_key'), 'not even its key names');
});
