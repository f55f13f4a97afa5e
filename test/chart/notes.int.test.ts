/**
 * NOTES.txt, as `helm install` prints it, tells how to follow upload health in the logs and where
 * the metrics are, for this release; the log messages and metric names it cites are ones promship
 * really emits. (`helm template` never renders NOTES.txt and `helm install --dry-run` needs a
 * cluster, so a copy of the chart renders it through `tpl` with the same values and context.)
 */
import { cp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { CHART_DIR, NAMESPACE, RELEASE, REQUIRED_VALUES, ROOT, helm, parseManifests } from '../helpers/helm.ts';
import { tempDir } from '../helpers/tmp.ts';

async function renderNotes(t: Parameters<typeof tempDir>[0], values: object): Promise<string> {
  const dir = await tempDir(t);
  const chart = join(dir, 'promship');
  await cp(CHART_DIR, chart, { recursive: true });
  await mkdir(join(chart, 'notes'));
  await cp(join(chart, 'templates', 'NOTES.txt'), join(chart, 'notes', 'NOTES.txt'));
  await writeFile(
    join(chart, 'templates', 'zz-notes-probe.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ tpl (.Files.Get "notes/NOTES.txt") . | toJson }}\n',
  );
  const valuesFile = join(dir, 'values.json');
  await writeFile(valuesFile, JSON.stringify(values));
  const res = await helm([
    'template',
    RELEASE,
    chart,
    '--namespace',
    NAMESPACE,
    '--values',
    valuesFile,
    '--show-only',
    'templates/zz-notes-probe.yaml',
  ]);
  if (res.code !== 0) throw new Error(res.stderr);
  return (parseManifests(res.stdout)[0]!.data as { notes: string }).notes;
}

t.test('NOTES.txt says how to watch uploads and where the metrics are', async (t) => {
  const notes = await renderNotes(t, REQUIRED_VALUES);
  t.match(notes, 'ships cluster "cluster-two" (cluster_id) from http://prometheus-server.monitoring.svc:80');
  t.match(notes, 'into s3://thanos-bucket/blocks');
  t.match(notes, `kubectl -n ${NAMESPACE} logs deploy/${RELEASE}-promship -f`);
  t.match(notes, `kubectl -n ${NAMESPACE} exec deploy/${RELEASE}-promship -- promship status`);
  t.match(notes, `kubectl -n ${NAMESPACE} port-forward svc/${RELEASE}-promship 8080:8080`);
  t.match(notes, 'http://127.0.0.1:8080/metrics');
  t.notMatch(notes, 'ServiceMonitor', 'no ServiceMonitor mentioned when there is none');
  t.notMatch(notes, /<no value>/);

  // What the notes cite is what promship emits.
  const shipper = await readFile(join(ROOT, 'src/shipper/shipper.ts'), 'utf8');
  const daemon = await readFile(join(ROOT, 'src/daemon/daemon.ts'), 'utf8');
  const metrics = await readFile(join(ROOT, 'src/daemon/metrics.ts'), 'utf8');
  for (const msg of notes.matchAll(/"msg":"([^"]+)"/g)) {
    t.ok(
      shipper.includes(`'${msg[1]}'`) || daemon.includes(`'${msg[1]}'`),
      `log message "${msg[1]}" is one promship writes`,
    );
  }
  for (const m of notes.matchAll(/\bpromship_[a-z_]+/g)) t.ok(metrics.includes(`'${m[0]}'`), `metric ${m[0]} exists`);
  for (const field of ['status', 'lagSeconds', 'pending', 'failingWindows'])
    t.ok(daemon.includes(field), `health field ${field} exists`);
});

t.test('NOTES.txt follows the values', async (t) => {
  const notes = await renderNotes(t, {
    ...REQUIRED_VALUES,
    bucket: { existingSecret: { name: 'kubecost-thanos' } },
    service: { enabled: true, port: 9102 },
    serviceMonitor: { enabled: true },
  });
  t.match(notes, 'the objstore config in Secret kubecost-thanos');
  t.match(notes, 'port-forward svc/ship-promship 9102:9102');
  t.match(notes, `A ServiceMonitor (${NAMESPACE}/${RELEASE}-promship)`);

  const noService = await renderNotes(t, { ...REQUIRED_VALUES, service: { enabled: false } });
  t.match(noService, 'port-forward deploy/ship-promship 8080:8080', 'without a Service, forward to the pod');
});
