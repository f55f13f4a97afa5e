/**
 * The chart for a Google Cloud Storage bucket: `bucket.url` with gs:// and GKE Workload Identity
 * (the service-account annotation, no key, no AWS settings); an objstore YAML `type: GCS` given
 * inline or in an existing Secret reaches the pod as a file promship parses as GCS; the values
 * schema rejects a scheme promship does not know.
 */
import t from 'tap';
import { parseObjstoreConfig } from '../../src/bucket/objstore-config.ts';
import {
  deploymentOf,
  envOf,
  findObject,
  helmTemplate,
  RELEASE,
  renderChart,
  REQUIRED_VALUES,
} from '../helpers/helm.ts';

const FULLNAME = `${RELEASE}-promship`;

t.test(
  'gs:// with GKE Workload Identity: the annotation on the ServiceAccount, no Secret, no AWS settings',
  async (t) => {
    const objects = await renderChart(t, {}, { files: ['chart/ci/gke-workload-identity-values.yaml'] });
    t.same(objects.map((o) => o.kind).sort(), ['Deployment', 'Service', 'ServiceAccount']);
    const sa = findObject(objects, 'ServiceAccount');
    t.equal(sa.metadata.annotations?.['iam.gke.io/gcp-service-account'], 'promship@my-project.iam.gserviceaccount.com');
    const d = deploymentOf(objects);
    t.equal(d.pod.serviceAccountName, FULLNAME, 'the pod runs as that ServiceAccount');
    const env = envOf(d.container);
    t.equal(env.get('PROMSHIP_BUCKET')?.value, 'gs://company-thanos/metrics');
    for (const name of env.keys())
      t.notMatch(name, /^(AWS_|PROMSHIP_S3_ENDPOINT|PROMSHIP_S3_FORCE)/, `${name} is not an S3 credential or endpoint`);
  },
);

t.test('an objstore YAML type: GCS, inline or in an existing Secret, reaches the pod as GCS', async (t) => {
  const account = '{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com", "private_key": "k"}';
  const yaml = `type: GCS\nprefix: fleet\nconfig:\n  bucket: thanos\n  service_account: '${account}'\n`;
  const objects = await renderChart(t, { ...REQUIRED_VALUES, bucket: { url: '', objstoreConfig: yaml } });
  const data = findObject(objects, 'Secret').data as Record<string, string>;
  const parsed = parseObjstoreConfig(
    Buffer.from(data['object-store.yaml']!, 'base64').toString('utf8'),
    'chart Secret',
  );
  t.equal(parsed.bucket.kind, 'gcs');
  if (parsed.bucket.kind === 'gcs') {
    t.equal(parsed.bucket.options.bucket, 'thanos');
    t.equal(parsed.bucket.options.prefix, 'fleet');
    t.equal(parsed.bucket.options.serviceAccount?.client_email, 'a@b.iam.gserviceaccount.com');
  }
  const existing = await renderChart(t, {
    ...REQUIRED_VALUES,
    bucket: { url: '', existingSecret: { name: 'kubecost-thanos' } },
  });
  const d = deploymentOf(existing);
  t.equal(envOf(d.container).get('PROMSHIP_OBJSTORE_CONFIG_FILE')?.value, '/etc/promship/objstore/object-store.yaml');
  t.same(d.pod.volumes?.find((v) => v.name === 'objstore')?.secret?.secretName, 'kubecost-thanos');
});

t.test('the values schema takes gs:// and rejects an unknown scheme', async (t) => {
  const ok = await helmTemplate(t, { ...REQUIRED_VALUES, bucket: { url: 'gs://b/p' } });
  t.equal(ok.code, 0, ok.stderr);
  const bad = await helmTemplate(t, { ...REQUIRED_VALUES, bucket: { url: 'gcs://b/p' } });
  t.not(bad.code, 0);
  t.match(bad.stderr, /bucket\.url|url/);
});
