/**
 * `helm template` of every scenario (defaults with the required values, and chart/ci/*): every
 * object validates against the Kubernetes schemas, and the objects fit together — selectors
 * select the pod, probes and Service hit the port promship listens on, every Secret reference and
 * mounted file exists, and each scenario renders what it is for.
 */
import { posix } from 'node:path';
import t from 'tap';
import { CI_VALUES_FILES, SCENARIOS } from '../helpers/chart-scenarios.ts';
import {
  NAMESPACE,
  RELEASE,
  REQUIRED_VALUES,
  deploymentOf,
  envOf,
  findObject,
  renderChart,
  type K8sObject,
} from '../helpers/helm.ts';
import { validateK8sObject } from '../helpers/k8s-schemas.ts';
import { parseObjstoreConfig } from '../../src/bucket/objstore-config.ts';

const FULLNAME = `${RELEASE}-promship`;

function nullPaths(value: unknown, path = ''): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nullPaths(v, `${path}[${i}]`));
  if (typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nullPaths(v, `${path}.${k}`));
  return [];
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v) && Object.keys(selector).length > 0;
}

t.test('the scenarios the issue names all exist under chart/ci/', async (t) => {
  t.same(CI_VALUES_FILES, [
    'azure-account-key-values.yaml',
    'azure-connection-string-values.yaml',
    'azure-kubecost-thanos-secret-values.yaml',
    'azure-workload-identity-values.yaml',
    'custom-cluster-label-values.yaml',
    'gke-workload-identity-values.yaml',
    'inline-credentials-values.yaml',
    'irsa-values.yaml',
    'kubecost-thanos-secret-values.yaml',
    'servicemonitor-values.yaml',
  ]);
});

for (const scenario of SCENARIOS) {
  t.test(`${scenario.name}: every object validates and the objects fit together`, async (t) => {
    const objects = await renderChart(t, scenario.values, scenario.opts);
    t.ok(objects.length >= 3, `rendered ${objects.map((o) => o.kind).join(', ')}`);

    for (const o of objects) {
      t.doesNotThrow(() => validateK8sObject(o), `${o.kind} validates against the Kubernetes schema`);
      t.same(nullPaths(o), [], `${o.kind} has no null fields (a template that rendered nothing)`);
      const labels = o.metadata.labels ?? {};
      for (const k of [
        'app.kubernetes.io/name',
        'app.kubernetes.io/instance',
        'app.kubernetes.io/version',
        'app.kubernetes.io/managed-by',
        'helm.sh/chart',
      ]) {
        t.ok(labels[k], `${o.kind} has the standard label ${k}`);
      }
      t.equal(labels['app.kubernetes.io/instance'], RELEASE);
      t.equal(o.metadata.namespace, NAMESPACE, `${o.kind} is in the release namespace`);
      t.equal(o.metadata.name, FULLNAME, `${o.kind} is named after the release`);
    }

    const { spec, pod, container } = deploymentOf(objects);
    const podLabels = spec.template.metadata.labels;
    t.equal(spec.replicas, 1, 'exactly one agent per cluster');
    t.equal(spec.strategy.type, 'Recreate', 'the old agent stops before a new one starts');
    t.ok(selects(spec.selector.matchLabels, podLabels), 'the Deployment selects its pod');
    t.same(container.args, ['run'], 'the container runs `promship run`');

    const env = envOf(container);
    const listen = env.get('PROMSHIP_LISTEN_ADDRESS')?.value ?? '';
    const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
    const metricsPort = container.ports?.find((p) => p.name === 'metrics');
    t.equal(metricsPort?.containerPort, port, 'the metrics container port is the port promship listens on');
    t.same(container.livenessProbe?.httpGet, { path: '/healthz', port: 'metrics' });
    t.same(container.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });

    const service = findObject(objects, 'Service');
    const svcSpec = service.spec as { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
    t.ok(selects(svcSpec.selector, podLabels), 'the Service selects the pod');
    t.same(
      svcSpec.ports.map((p) => [p.name, p.targetPort]),
      [['metrics', 'metrics']],
    );

    const sa = findObject(objects, 'ServiceAccount');
    t.equal(pod.serviceAccountName, sa.metadata.name, 'the pod runs as the chart ServiceAccount');

    // Every Secret the pod references: the chart's own (then the key must be in it), or one the
    // values name as existing.
    const chartSecret = objects.find((o) => o.kind === 'Secret');
    const chartSecretKeys = new Set(Object.keys((chartSecret?.data as Record<string, string> | undefined) ?? {}));
    const refs: { secret: string; key: string; what: string }[] = [];
    for (const e of env.values()) {
      t.ok((e.value === undefined) !== (e.valueFrom === undefined), `${e.name} has either a value or a secretKeyRef`);
      if (e.valueFrom?.secretKeyRef) refs.push({ ...keyRef(e.valueFrom.secretKeyRef), what: e.name });
    }
    for (const v of pod.volumes ?? []) {
      for (const item of v.secret?.items ?? [])
        refs.push({ secret: v.secret!.secretName, key: item.key, what: `volume ${v.name}` });
      if (v.secret) t.ok(v.secret.items?.length, `secret volume ${v.name} mounts only the keys it needs`);
    }
    for (const r of refs) {
      if (r.secret === FULLNAME) t.ok(chartSecretKeys.has(r.key), `${r.what}: key ${r.key} is in the chart's Secret`);
      else t.not(r.secret, '', `${r.what} names an existing Secret`);
    }

    // Every mount has a volume; every *_FILE setting points at a file a secret volume provides.
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    for (const m of container.volumeMounts ?? []) t.ok(volumes.has(m.name), `mount ${m.mountPath} has a volume`);
    for (const [name, e] of env) {
      if (!name.endsWith('_FILE') || e.value === undefined) continue;
      const mount = (container.volumeMounts ?? []).find((m) => posix.dirname(e.value!) === m.mountPath);
      const volume = mount && volumes.get(mount.name);
      t.ok(
        volume?.secret?.items?.some((i) => i.path === posix.basename(e.value!)) ??
          // A projected service-account token (Azure Workload Identity without the webhook).
          volume?.projected?.sources.some((src) => src.serviceAccountToken?.path === posix.basename(e.value!)),
        `${name}=${e.value} is a file mounted from a Secret (or a projected token)`,
      );
    }
    const dataDir = env.get('PROMSHIP_DATA_DIR')?.value;
    const dataMount = (container.volumeMounts ?? []).find((m) => m.mountPath === dataDir);
    t.ok(dataMount && volumes.get(dataMount.name)?.emptyDir, 'PROMSHIP_DATA_DIR is an emptyDir');

    for (const o of objects.filter((o) => o.kind === 'ServiceMonitor')) {
      const sm = o.spec as {
        selector: { matchLabels: Record<string, string> };
        namespaceSelector: { matchNames: string[] };
        endpoints: { port: string; path: string }[];
      };
      t.ok(selects(sm.selector.matchLabels, service.metadata.labels ?? {}), 'the ServiceMonitor selects the Service');
      t.same(sm.namespaceSelector.matchNames, [NAMESPACE]);
      t.same(
        sm.endpoints.map((e) => [e.port, e.path]),
        [['metrics', '/metrics']],
      );
    }
    for (const o of objects.filter((o) => o.kind === 'NetworkPolicy')) {
      const np = o.spec as {
        podSelector: { matchLabels: Record<string, string> };
        ingress: { ports: { port: string }[] }[];
      };
      t.ok(selects(np.podSelector.matchLabels, podLabels), 'the NetworkPolicy selects the pod');
      t.same(
        np.ingress.flatMap((r) => r.ports.map((p) => p.port)),
        ['metrics'],
        'only the metrics port is open',
      );
    }
  });
}

function keyRef(ref: { name: string; key: string }): { secret: string; key: string } {
  return { secret: ref.name, key: ref.key };
}

t.test('each scenario renders what it is for', async (t) => {
  const kinds = (objects: K8sObject[]): string[] => objects.map((o) => o.kind).sort();
  const render = (file: string): Promise<K8sObject[]> => renderChart(t, {}, { files: [`chart/ci/${file}`] });

  const defaults = await renderChart(t, REQUIRED_VALUES);
  t.same(
    kinds(defaults),
    ['Deployment', 'Service', 'ServiceAccount'],
    'defaults: no Secret, ServiceMonitor or NetworkPolicy',
  );
  t.equal(envOf(deploymentOf(defaults).container).get('PROMSHIP_BUCKET')?.value, 's3://thanos-bucket/blocks');

  const inline = await render('inline-credentials-values.yaml');
  t.same(kinds(inline), ['Deployment', 'Secret', 'Service', 'ServiceAccount']);
  const inlineEnv = envOf(deploymentOf(inline).container);
  t.same(inlineEnv.get('AWS_SECRET_ACCESS_KEY')?.valueFrom?.secretKeyRef, {
    name: FULLNAME,
    key: 'aws-secret-access-key',
  });
  t.equal(inlineEnv.get('PROMSHIP_S3_CHECKSUM_MODE')?.value, 'when-required');
  t.equal(inlineEnv.get('PROMSHIP_S3_FORCE_PATH_STYLE')?.value, 'true');
  t.ok(
    deploymentOf(inline).spec.template.metadata.annotations?.['checksum/secret'],
    'a changed inline secret restarts the pod',
  );

  const kubecost = await render('kubecost-thanos-secret-values.yaml');
  t.same(
    kinds(kubecost),
    ['Deployment', 'Service', 'ServiceAccount'],
    'existing kubecost-thanos Secret: the chart renders no Secret',
  );
  const kc = deploymentOf(kubecost);
  const objstoreVolume = kc.pod.volumes?.find((v) => v.name === 'objstore');
  t.same(objstoreVolume?.secret, {
    secretName: 'kubecost-thanos',
    defaultMode: 0o440,
    items: [{ key: 'object-store.yaml', path: 'object-store.yaml' }],
  });
  t.notOk(envOf(kc.container).has('PROMSHIP_BUCKET'), 'the bucket comes from the objstore YAML only');
  t.equal(envOf(kc.container).get('PROMSHIP_OBJSTORE_CONFIG_FILE')?.value, '/etc/promship/objstore/object-store.yaml');
  // The S3 settings that still apply beside an objstore YAML (the troubleshooting advice for
  // PROMSHIP_BUCKET_SIZE_MISMATCH is the checksum mode, which the YAML cannot give).
  const tuned = await renderChart(
    t,
    { bucket: { s3: { checksumMode: 'when-required', maxAttempts: 2, requestTimeout: '30s' } } },
    { files: ['chart/ci/kubecost-thanos-secret-values.yaml'] },
  );
  const tunedEnv = envOf(deploymentOf(tuned).container);
  t.same(
    ['PROMSHIP_S3_CHECKSUM_MODE', 'PROMSHIP_S3_MAX_ATTEMPTS', 'PROMSHIP_S3_REQUEST_TIMEOUT'].map(
      (name) => tunedEnv.get(name)?.value,
    ),
    ['when-required', '2', '30s'],
    'bucket.s3 checksum mode, attempts and timeout reach the agent beside an objstore YAML',
  );
  t.notOk(tunedEnv.has('PROMSHIP_S3_ENDPOINT'), "the endpoint stays the YAML's");

  const irsa = await render('irsa-values.yaml');
  t.same(findObject(irsa, 'ServiceAccount').metadata.annotations, {
    'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/promship',
  });
  const irsaEnv = envOf(deploymentOf(irsa).container);
  t.same(
    [...irsaEnv.keys()].filter((k) => k.startsWith('AWS_')),
    [],
    'IRSA: no AWS keys; the EKS webhook injects the role and token',
  );
  t.equal(irsaEnv.get('PROMSHIP_EXTERNAL_LABELS')?.value, 'env=prod,region=eu-west-1');
  t.equal(irsaEnv.get('PROMSHIP_S3_SSE')?.value, 'SSE-KMS');

  const sm = await render('servicemonitor-values.yaml');
  t.same(kinds(sm), ['Deployment', 'NetworkPolicy', 'Service', 'ServiceAccount', 'ServiceMonitor']);
  t.equal(findObject(sm, 'ServiceMonitor').metadata.labels?.release, 'kube-prometheus-stack');
  t.equal(
    envOf(deploymentOf(sm).container).get('PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE')?.value,
    '/etc/promship/prometheus/bearer-token/token',
  );

  const custom = await render('custom-cluster-label-values.yaml');
  const customEnv = envOf(deploymentOf(custom).container);
  t.equal(customEnv.get('PROMSHIP_CLUSTER_LABEL')?.value, 'cluster');
  t.equal(customEnv.get('PROMSHIP_BLOCK_DURATION')?.value, '30m');
  t.same(deploymentOf(custom).pod.volumes?.find((v) => v.name === 'data')?.emptyDir, { sizeLimit: '4Gi' });
  t.equal(deploymentOf(custom).pod.priorityClassName, 'system-cluster-critical');
});

t.test('a changed inline credential changes the pod template, so the agent restarts with it', async (t) => {
  const values = (secret: string): object => ({
    ...REQUIRED_VALUES,
    bucket: { url: 's3://b', credentials: { accessKeyId: 'AKIA1', secretAccessKey: secret } },
  });
  const a = deploymentOf(await renderChart(t, values('first-secret'))).spec.template.metadata.annotations?.[
    'checksum/secret'
  ];
  const b = deploymentOf(await renderChart(t, values('second-secret'))).spec.template.metadata.annotations?.[
    'checksum/secret'
  ];
  t.ok(a && b && a !== b);
});

t.test('names, image and extra pod settings come from the values', async (t) => {
  const objects = await renderChart(t, {
    ...REQUIRED_VALUES,
    fullnameOverride: 'shipper',
    image: { repository: 'registry.example/promship', tag: '9.9.9' },
    podLabels: { team: 'metrics' },
    podAnnotations: { 'example.com/scrape': 'false' },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'monitoring', effect: 'NoSchedule' }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['infra'] }] }],
        },
      },
    },
    extraEnv: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ca/ca.crt' }],
    extraVolumes: [{ name: 'ca', configMap: { name: 'corp-ca' } }],
    extraVolumeMounts: [{ name: 'ca', mountPath: '/etc/ca', readOnly: true }],
    imagePullSecrets: [{ name: 'regcred' }],
  });
  for (const o of objects) {
    validateK8sObject(o);
    t.equal(o.metadata.name, 'shipper');
  }
  const d = findObject(objects, 'Deployment');
  const { pod, container, spec } = deploymentOf(objects);
  t.equal(container.image, 'registry.example/promship:9.9.9');
  t.equal(spec.template.metadata.labels.team, 'metrics');
  t.equal(spec.template.metadata.annotations?.['example.com/scrape'], 'false');
  t.equal(envOf(container).get('NODE_EXTRA_CA_CERTS')?.value, '/etc/ca/ca.crt');
  t.ok(pod.volumes?.some((v) => v.name === 'ca'));
  t.ok(container.volumeMounts?.some((m) => m.mountPath === '/etc/ca'));
  const podSpec = (d.spec as { template: { spec: Record<string, unknown> } }).template.spec;
  t.same(podSpec.nodeSelector, { 'kubernetes.io/os': 'linux' });
  t.equal((podSpec.tolerations as unknown[]).length, 1);
  t.ok(podSpec.affinity);
  t.same(podSpec.imagePullSecrets, [{ name: 'regcred' }]);

  const pinned = deploymentOf(
    await renderChart(t, { ...REQUIRED_VALUES, image: { digest: `sha256:${'a'.repeat(64)}` } }),
  );
  t.equal(pinned.container.image, `ghcr.io/promship/promship@sha256:${'a'.repeat(64)}`, 'a digest pins the image');
});

t.test('an inline objstore config reaches the pod as a YAML promship parses, as a string or a mapping', async (t) => {
  const objstoreOf = async (values: object, files: string[] = []): Promise<string> => {
    const objects = await renderChart(t, values, { files });
    const data = findObject(objects, 'Secret').data as Record<string, string>;
    return Buffer.from(data['object-store.yaml']!, 'base64').toString('utf8');
  };
  const fromFile = parseObjstoreConfig(
    await objstoreOf({}, ['chart/ci/custom-cluster-label-values.yaml']),
    'chart Secret',
  );
  t.equal(fromFile.bucket.kind, 's3');
  if (fromFile.bucket.kind === 's3') {
    t.equal(fromFile.bucket.options.bucket, 'thanos');
    t.equal(fromFile.bucket.options.prefix, 'clusters');
  }
  // A string keeps every value exactly as written, e.g. a secret that looks like a number.
  const asString = await objstoreOf({
    ...REQUIRED_VALUES,
    bucket: { objstoreConfig: 'type: S3\nconfig:\n  bucket: thanos\n  secret_key: 0123\n' },
  });
  t.equal(asString, 'type: S3\nconfig:\n  bucket: thanos\n  secret_key: 0123\n');
  const asMap = parseObjstoreConfig(
    await objstoreOf({
      ...REQUIRED_VALUES,
      bucket: {
        objstoreConfig: {
          type: 'S3',
          config: { bucket: 'thanos', endpoint: 'minio:9000', insecure: true },
          prefix: 'p',
        },
      },
    }),
    'chart Secret',
  );
  t.equal(asMap.bucket.kind, 's3');
  if (asMap.bucket.kind === 's3') t.equal(asMap.bucket.options.bucket, 'thanos');
});
