/**
 * The config schema (src/config/schema.ts) is the one source of truth for the chart's environment:
 * - every variable the chart sets is declared there (or is a standard AWS SDK credential variable);
 * - every option there can be set from a documented Helm value (the table below must name one for
 *   each option; TypeScript refuses the file if one is missing), and what the chart renders for
 *   it is what promship itself parses into the same setting;
 * - the chart's defaults are promship's defaults, and the schema's enums are promship's.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.ts';
import { options, type OptionName, type OptionSpec } from '../../src/config/schema.ts';
import { SCENARIOS } from '../helpers/chart-scenarios.ts';
import { CHART_DIR, REQUIRED_VALUES, deploymentOf, envOf, renderChart, type K8sObject } from '../helpers/helm.ts';

/** Read by the AWS SDK itself (the standard credential chain), not by promship's config. */
const AWS_SDK_VARIABLES = new Set([
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  // The Azure SDK's own (connection string, account key, workload identity).
  'AZURE_STORAGE_CONNECTION_STRING',
  'AZURE_STORAGE_KEY',
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'AZURE_FEDERATED_TOKEN_FILE',
]);
const DECLARED = new Set(Object.values(options).map((o) => o.env));

type Expect =
  /** The rendered variable's value (inline, or from the chart's own Secret). */
  | { value: string }
  /** A path to a file mounted from this Secret key. */
  | { file: { secret: string; key: string } }
  /** A path to a file mounted from this ConfigMap key. */
  | { configMapFile: { configMap: string; key: string } }
  /** A path that the user mounted (extraVolumes), passed through. */
  | { path: string };

interface Case {
  values: object;
  expect: Expect;
  /** Which Deployment renders it: the agent's (default) or `promship fleet serve`'s. */
  deployment?: 'fleet';
}

const kms = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const VALUES_FOR: Record<OptionName, Case[]> = {
  prometheusUrl: [
    { values: { prometheus: { url: 'https://prom.example:9443' } }, expect: { value: 'https://prom.example:9443' } },
  ],
  prometheusTimeout: [{ values: { prometheus: { timeout: '90s' } }, expect: { value: '90s' } }],
  prometheusBearerTokenFile: [
    {
      values: { prometheus: { bearerTokenSecret: { name: 'prom-token', key: 'tok' } } },
      expect: { file: { secret: 'prom-token', key: 'tok' } },
    },
    {
      values: { prometheus: { bearerTokenFile: '/var/run/secrets/tokens/prometheus' } },
      expect: { path: '/var/run/secrets/tokens/prometheus' },
    },
  ],
  prometheusUsername: [
    { values: { prometheus: { basicAuth: { username: 'promship' } } }, expect: { value: 'promship' } },
  ],
  prometheusPasswordFile: [
    {
      values: { prometheus: { basicAuth: { username: 'u', passwordSecret: { name: 'prom-basic', key: 'pw' } } } },
      expect: { file: { secret: 'prom-basic', key: 'pw' } },
    },
  ],
  prometheusCaFile: [
    {
      values: { prometheus: { tls: { caSecret: { name: 'prom-ca', key: 'ca.pem' } } } },
      expect: { file: { secret: 'prom-ca', key: 'ca.pem' } },
    },
  ],
  prometheusCertFile: [
    {
      values: {
        prometheus: { tls: { clientCertSecret: { name: 'prom-client', certKey: 'cert.pem', keyKey: 'key.pem' } } },
      },
      expect: { file: { secret: 'prom-client', key: 'cert.pem' } },
    },
  ],
  prometheusKeyFile: [
    {
      values: {
        prometheus: { tls: { clientCertSecret: { name: 'prom-client', certKey: 'cert.pem', keyKey: 'key.pem' } } },
      },
      expect: { file: { secret: 'prom-client', key: 'key.pem' } },
    },
  ],
  prometheusInsecureSkipVerify: [
    { values: { prometheus: { tls: { insecureSkipVerify: true } } }, expect: { value: 'true' } },
  ],
  prometheusHeaders: [
    {
      values: { prometheus: { headers: { 'X-Scope-OrgID': 'team-a', 'X-Extra': 'b' } } },
      expect: { value: 'X-Extra=b,X-Scope-OrgID=team-a' },
    },
  ],
  clusterId: [{ values: { cluster: { id: 'cluster-nine' } }, expect: { value: 'cluster-nine' } }],
  clusterLabel: [{ values: { cluster: { label: 'cluster' } }, expect: { value: 'cluster' } }],
  externalLabels: [
    {
      values: { cluster: { externalLabels: { region: 'eu-west-1', env: 'prod' } } },
      expect: { value: 'env=prod,region=eu-west-1' },
    },
  ],
  bucket: [
    {
      values: { bucket: { url: 's3://other-bucket/some/prefix' } },
      expect: { value: 's3://other-bucket/some/prefix' },
    },
  ],
  objstoreConfigFile: [
    {
      values: { bucket: { url: '', objstoreConfig: 'type: S3\nconfig:\n  bucket: thanos\n' } },
      expect: { file: { secret: 'ship-promship', key: 'object-store.yaml' } },
    },
    {
      values: { bucket: { url: '', existingSecret: { name: 'kubecost-thanos' } } },
      expect: { file: { secret: 'kubecost-thanos', key: 'object-store.yaml' } },
    },
  ],
  s3Endpoint: [
    {
      values: { bucket: { s3: { endpoint: 'https://minio.storage:9000' } } },
      expect: { value: 'https://minio.storage:9000' },
    },
  ],
  s3Region: [{ values: { bucket: { s3: { region: 'eu-west-1' } } }, expect: { value: 'eu-west-1' } }],
  s3ForcePathStyle: [{ values: { bucket: { s3: { forcePathStyle: true } } }, expect: { value: 'true' } }],
  s3Sse: [{ values: { bucket: { s3: { sse: 'SSE-S3' } } }, expect: { value: 'SSE-S3' } }],
  s3SseKmsKeyId: [{ values: { bucket: { s3: { sse: 'SSE-KMS', sseKmsKeyId: kms } } }, expect: { value: kms } }],
  s3ChecksumMode: [
    { values: { bucket: { s3: { checksumMode: 'when-required' } } }, expect: { value: 'when-required' } },
  ],
  s3RequestTimeout: [{ values: { bucket: { s3: { requestTimeout: '45s' } } }, expect: { value: '45s' } }],
  azureAccount: [
    {
      values: { bucket: { url: 'azblob://blocks/thanos', azure: { account: 'promshipdata' } } },
      expect: { value: 'promshipdata' },
    },
  ],
  s3MaxAttempts: [{ values: { bucket: { s3: { maxAttempts: 7 } } }, expect: { value: '7' } }],
  dataDir: [{ values: { dataVolume: { mountPath: '/scratch' } }, expect: { value: '/scratch' } }],
  relabelConfigFile: [
    {
      values: { relabel: { rules: [{ source_labels: ['__name__'], regex: 'up', action: 'keep' }] } },
      expect: { configMapFile: { configMap: 'ship-promship-relabel', key: 'relabel.yaml' } },
    },
    {
      values: { relabel: { existingConfigMap: { name: 'my-rules', key: 'rules.yaml' } } },
      expect: { configMapFile: { configMap: 'my-rules', key: 'rules.yaml' } },
    },
    {
      values: { relabel: { existingSecret: { name: 'my-secret-rules' } } },
      expect: { file: { secret: 'my-secret-rules', key: 'relabel.yaml' } },
    },
  ],
  relabelPreset: [{ values: { relabel: { preset: 'kubecost' } }, expect: { value: 'kubecost' } }],
  blockDuration: [{ values: { shipping: { blockDuration: '30m' } }, expect: { value: '30m' } }],
  shipDelay: [{ values: { shipping: { shipDelay: '10m' } }, expect: { value: '10m' } }],
  maxBackfill: [{ values: { shipping: { maxBackfill: '3d' } }, expect: { value: '3d' } }],
  claimTimeout: [{ values: { shipping: { claimTimeout: '45m' } }, expect: { value: '45m' } }],
  schedule: [{ values: { shipping: { schedule: '0 * * * *' } }, expect: { value: '0 * * * *' } }],
  listenAddress: [{ values: { metricsPort: 9102 }, expect: { value: ':9102' } }],
  retryBackoff: [{ values: { shipping: { retryBackoff: '2m' } }, expect: { value: '2m' } }],
  retryBackoffMax: [{ values: { shipping: { retryBackoffMax: '2h' } }, expect: { value: '2h' } }],
  healthLogInterval: [{ values: { shipping: { healthLogInterval: '1m' } }, expect: { value: '1m' } }],
  // `promship fleet serve`'s settings: rendered on the fleet Deployment only (fleet.enabled).
  fleetLookback: [
    { values: { fleet: { enabled: true, lookback: '3d' } }, expect: { value: '3d' }, deployment: 'fleet' },
  ],
  fleetMaxLag: [{ values: { fleet: { enabled: true, maxLag: '12h' } }, expect: { value: '12h' }, deployment: 'fleet' }],
  fleetRefresh: [{ values: { fleet: { enabled: true, refresh: '1m' } }, expect: { value: '1m' }, deployment: 'fleet' }],
  logLevel: [{ values: { log: { level: 'debug' } }, expect: { value: 'debug' } }],
  logFormat: [{ values: { log: { format: 'pretty' } }, expect: { value: 'pretty' } }],
};

function merge(a: unknown, b: unknown): unknown {
  if (
    typeof a !== 'object' ||
    a === null ||
    Array.isArray(a) ||
    typeof b !== 'object' ||
    b === null ||
    Array.isArray(b)
  )
    return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}

/** The environment as the container would see it, for the variables the chart can resolve. */
function resolvedEnv(objects: K8sObject[], component: 'shipper' | 'fleet' = 'shipper'): Record<string, string> {
  const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'ship-promship');
  const data = (secret?.data ?? {}) as Record<string, string>;
  const out: Record<string, string> = {};
  for (const [name, e] of envOf(deploymentOf(objects, component).container)) {
    if (e.value !== undefined) out[name] = e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref?.name === 'ship-promship' && data[ref.key] !== undefined)
      out[name] = Buffer.from(data[ref.key]!, 'base64').toString('utf8');
  }
  return out;
}

t.test('the table covers exactly the options promship declares', async (t) => {
  t.same(Object.keys(VALUES_FOR).sort(), Object.keys(options).sort());
});

for (const name of Object.keys(VALUES_FOR) as OptionName[]) {
  t.test(`${name} (${options[name].env}) is set from Helm values`, async (t) => {
    const spec = options[name] as OptionSpec<unknown>;
    for (const c of VALUES_FOR[name]) {
      const objects = await renderChart(t, merge(REQUIRED_VALUES, c.values) as object);
      const { pod, container } = deploymentOf(objects, c.deployment ?? 'shipper');
      const env = envOf(container);
      const entry = env.get(spec.env);
      t.ok(entry, `${spec.env} is rendered`);
      const resolved = resolvedEnv(objects, c.deployment ?? 'shipper');
      const expect = c.expect;
      if ('value' in expect) {
        t.equal(resolved[spec.env], expect.value, `${spec.env} carries the value`);
      } else if ('path' in expect) {
        t.equal(entry?.value, expect.path);
      } else if ('configMapFile' in expect) {
        const path = entry?.value ?? '';
        const mount = container.volumeMounts?.find((m) => m.mountPath === path.slice(0, path.lastIndexOf('/')));
        const volume = pod.volumes?.find((v) => v.name === mount?.name);
        t.equal(
          volume?.configMap?.name,
          expect.configMapFile.configMap,
          `${spec.env} is in a volume of ConfigMap ${expect.configMapFile.configMap}`,
        );
        t.ok(
          volume?.configMap?.items?.some(
            (i) => i.key === expect.configMapFile.key && i.path === path.slice(path.lastIndexOf('/') + 1),
          ),
        );
        t.equal(mount?.readOnly, true, 'config mounts are read-only');
      } else {
        const path = entry?.value ?? '';
        const dir = path.slice(0, path.lastIndexOf('/'));
        const file = path.slice(path.lastIndexOf('/') + 1);
        const mount = container.volumeMounts?.find((m) => m.mountPath === dir);
        const volume = pod.volumes?.find((v) => v.name === mount?.name);
        t.equal(
          volume?.secret?.secretName,
          expect.file.secret,
          `${spec.env} is in a volume of Secret ${expect.file.secret}`,
        );
        t.ok(
          volume?.secret?.items?.some((i) => i.key === expect.file.key && i.path === file),
          `${path} is key ${expect.file.key}`,
        );
        t.equal(mount?.readOnly, true, 'secret mounts are read-only');
      }
      // promship accepts the whole rendered environment and reads this setting as if set by hand.
      // The files are mounted only in the pod.
      const config = loadConfig({ env: resolved }, { checkFiles: false });
      // Read as if set by hand: through its own schema, as some settings need others beside them
      // (a password file a user name, a certificate its key).
      t.same(
        config[name],
        spec.schema.parse(resolved[spec.env] ?? spec.default ?? ''),
        `promship reads ${spec.env} from the chart's environment`,
      );
    }
  });
}

t.test('every variable the chart sets is declared by promship (or is an AWS SDK credential)', async (t) => {
  const renders: K8sObject[][] = [];
  for (const s of SCENARIOS) renders.push(await renderChart(t, s.values, s.opts));
  for (const cases of Object.values(VALUES_FOR))
    for (const c of cases) renders.push(await renderChart(t, merge(REQUIRED_VALUES, c.values) as object));
  renders.push(
    await renderChart(
      t,
      merge(REQUIRED_VALUES, {
        bucket: { credentials: { accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' } },
      }) as object,
    ),
  );
  renders.push(
    await renderChart(
      t,
      merge(REQUIRED_VALUES, {
        bucket: {
          existingSecret: {
            name: 'aws',
            objstoreConfigKey: '',
            accessKeyIdKey: 'id',
            secretAccessKeyKey: 'key',
            sessionTokenKey: 'token',
          },
        },
      }) as object,
    ),
  );
  const seen = new Set<string>();
  for (const objects of renders) {
    for (const name of envOf(deploymentOf(objects).container).keys()) seen.add(name);
    // Every scenario's environment is one promship starts with (bad config would exit 2).
    t.doesNotThrow(() => loadConfig({ env: resolvedEnv(objects) }, { checkFiles: false }));
    if (
      objects.some((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'fleet')
    ) {
      for (const name of envOf(deploymentOf(objects, 'fleet').container).keys()) seen.add(name);
      t.doesNotThrow(() => loadConfig({ env: resolvedEnv(objects, 'fleet') }, { checkFiles: false }));
    }
  }
  const undeclared = [...seen].filter((n) => !DECLARED.has(n) && !AWS_SDK_VARIABLES.has(n));
  t.same(undeclared, [], 'no variable outside the schema');
  for (const aws of AWS_SDK_VARIABLES) t.ok(seen.has(aws), `${aws} is rendered in some scenario`);
  t.same(
    [...DECLARED].filter((n) => !seen.has(n)),
    [],
    'every declared variable is rendered in some scenario',
  );
});

t.test("the chart's defaults are promship's defaults", async (t) => {
  const env = envOf(deploymentOf(await renderChart(t, REQUIRED_VALUES)).container);
  // Where the chart must differ: required values, and the data dir on its emptyDir.
  const chartDecides = new Set<OptionName>(['clusterId', 'prometheusUrl', 'bucket', 'dataDir']);
  for (const name of Object.keys(options) as OptionName[]) {
    if (chartDecides.has(name)) continue;
    const spec = options[name] as OptionSpec<unknown>;
    const rendered = env.get(spec.env)?.value;
    if (spec.default === undefined || spec.default === '')
      t.equal(rendered, undefined, `${spec.env} is not set by default`);
    else if (rendered !== undefined) t.equal(rendered, spec.default, `${spec.env} defaults to promship's default`);
  }
});

t.test("values.schema.json allows exactly promship's choices", async (t) => {
  const schema = JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8')) as {
    properties: Record<
      string,
      { properties: Record<string, { enum?: string[]; properties?: Record<string, { enum?: string[] }> }> }
    >;
  };
  const enumOf = (opt: OptionName): string[] =>
    [...(options[opt].schema as unknown as { options: readonly string[] }).options].sort();
  const p = schema.properties;
  t.same([...p.bucket!.properties.s3!.properties!.sse!.enum!].sort(), enumOf('s3Sse'));
  t.same([...p.bucket!.properties.s3!.properties!.checksumMode!.enum!].sort(), enumOf('s3ChecksumMode'));
  t.same([...p.log!.properties.level!.enum!].sort(), enumOf('logLevel'));
  t.same([...p.log!.properties.format!.enum!].sort(), enumOf('logFormat'));

  const durations = p.shipping!.properties.blockDuration!.enum!;
  for (const d of durations)
    t.ok(options.blockDuration.schema.safeParse(d).success, `block duration ${d} is accepted by promship`);
  const divisors = Array.from({ length: 120 }, (_, i) => i + 1).filter((m) => 120 % m === 0);
  for (const m of divisors) t.ok(durations.includes(`${m}m`), `${m}m (divides 2h) is allowed`);
});
