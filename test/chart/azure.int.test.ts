/**
 * The chart's Azure scenarios (chart/ci/azure-*.yaml), rendered by helm: Workload Identity labels
 * the pod and annotates the service account (the AKS webhook then injects its own projected token;
 * the API token stays unmounted), or, without the webhook, the chart mounts only the token Entra
 * ID's exchange needs; keys come from an existing Secret as the Azure SDK's own variables; and
 * what the chart renders parses as the bucket promship would open.
 */
import t from 'tap';
import { loadConfig } from '../../src/config/load.ts';
import { deploymentOf, envOf, findObject, renderChart } from '../helpers/helm.ts';

const render = (file: string): ReturnType<typeof renderChart> => renderChart(t, {}, { files: [`chart/ci/${file}`] });

void t.test('Workload Identity with the AKS webhook', async (t) => {
  const objects = await render('azure-workload-identity-values.yaml');
  const { spec, pod, container } = deploymentOf(objects);
  t.equal(spec.template.metadata.labels['azure.workload.identity/use'], 'true', 'the pod carries the webhook label');
  t.same(findObject(objects, 'ServiceAccount').metadata.annotations, {
    'azure.workload.identity/client-id': '00000000-1111-2222-3333-444444444444',
  });
  t.equal(pod.automountServiceAccountToken, false, 'the API token stays unmounted: the webhook projects its own token');
  const env = envOf(container);
  t.equal(env.get('PROMSHIP_BUCKET')?.value, 'azblob://thanos/metrics');
  t.equal(env.get('PROMSHIP_AZURE_ACCOUNT')?.value, 'companythanos');
  t.same(
    [...env.keys()].filter((k) => k.startsWith('AZURE_')),
    [],
    'no Azure variables: the webhook injects them',
  );
  const plain: Record<string, string> = {};
  for (const [k, v] of env) if (v.value !== undefined) plain[k] = v.value;
  const config = loadConfig({ env: plain });
  t.same(
    config.bucket,
    { kind: 'azblob', container: 'thanos', prefix: 'metrics' },
    'promship reads the bucket the chart names',
  );
});

void t.test('Workload Identity without the webhook: the chart projects the token itself', async (t) => {
  const objects = await render('azure-kubecost-thanos-secret-values.yaml');
  const { spec, pod, container } = deploymentOf(objects);
  t.same(findObject(objects, 'ServiceAccount').metadata.annotations, {
    'azure.workload.identity/client-id': '00000000-1111-2222-3333-444444444444',
    'azure.workload.identity/tenant-id': '55555555-6666-7777-8888-999999999999',
  });
  t.equal(spec.template.metadata.labels['azure.workload.identity/use'], 'true');
  t.equal(pod.automountServiceAccountToken, false);
  const volume = pod.volumes?.find((v) => v.name === 'promship-azure-identity-token');
  t.same(
    volume?.projected?.sources,
    [
      {
        serviceAccountToken: {
          path: 'azure-identity-token',
          audience: 'api://AzureADTokenExchange',
          expirationSeconds: 3600,
        },
      },
    ],
    'only a token for the Entra ID exchange is projected',
  );
  const mount = container.volumeMounts?.find((m) => m.name === 'promship-azure-identity-token');
  t.equal(mount?.readOnly, true);
  const env = envOf(container);
  t.equal(
    env.get('AZURE_FEDERATED_TOKEN_FILE')?.value,
    `${mount?.mountPath}/azure-identity-token`,
    'the token file is the projected one',
  );
  t.equal(env.get('AZURE_CLIENT_ID')?.value, '00000000-1111-2222-3333-444444444444');
  t.equal(env.get('AZURE_TENANT_ID')?.value, '55555555-6666-7777-8888-999999999999');
  t.equal(
    env.get('PROMSHIP_OBJSTORE_CONFIG_FILE')?.value,
    '/etc/promship/objstore/object-store.yaml',
    'the kubecost-thanos YAML is mounted',
  );
});

void t.test('keys from an existing Secret become the Azure SDK variables', async (t) => {
  const key = envOf(deploymentOf(await render('azure-account-key-values.yaml')).container);
  t.same(key.get('AZURE_STORAGE_KEY')?.valueFrom, {
    secretKeyRef: { name: 'promship-azure', key: 'azure-storage-key' },
  });
  t.notOk(key.has('PROMSHIP_OBJSTORE_CONFIG_FILE'));
  const cs = envOf(deploymentOf(await render('azure-connection-string-values.yaml')).container);
  t.same(cs.get('AZURE_STORAGE_CONNECTION_STRING')?.valueFrom, {
    secretKeyRef: { name: 'promship-azure', key: 'connection-string' },
  });
});
