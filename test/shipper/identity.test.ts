import t from 'tap';
import { ConfigError } from '../../src/errors.ts';
import { resolveIdentity } from '../../src/shipper/identity.ts';

const base = {
  clusterLabel: 'cluster_id',
  clusterId: undefined,
  extraLabels: {},
  prometheusLabels: [] as [string, string][],
};

t.test('cluster id from Prometheus external labels', async (t) => {
  const id = resolveIdentity({
    ...base,
    prometheusLabels: [
      ['cluster_id', 'c1'],
      ['replica', 'r0'],
    ],
  });
  t.equal(id.clusterId, 'c1');
  t.same(id.thanosLabels, { cluster_id: 'c1', replica: 'r0' });
  t.same(id.stripLabels, [
    ['cluster_id', 'c1'],
    ['replica', 'r0'],
  ]);
});

t.test('cluster id configured, Prometheus has none: labels blocks, strips nothing', async (t) => {
  const id = resolveIdentity({ ...base, clusterId: 'c2', extraLabels: { region: 'eu' } });
  t.same(id.thanosLabels, { cluster_id: 'c2', region: 'eu' });
  t.same(id.stripLabels, []);
});

t.test('custom cluster label', async (t) => {
  const id = resolveIdentity({ ...base, clusterLabel: 'cluster', prometheusLabels: [['cluster', 'x']] });
  t.same(id.thanosLabels, { cluster: 'x' });
});

t.test('refuses to start without an id, or with disagreeing ones', async (t) => {
  t.throws(() => resolveIdentity(base), ConfigError);
  t.throws(() => resolveIdentity(base), /no cluster id: set PROMSHIP_CLUSTER_ID/);
  t.throws(
    () => resolveIdentity({ ...base, clusterId: 'a', prometheusLabels: [['cluster_id', 'b']] }),
    /PROMSHIP_CLUSTER_ID is 'a' but Prometheus' external label cluster_id is 'b'/,
  );
  t.throws(
    () => resolveIdentity({ ...base, clusterId: 'a', extraLabels: { env: 'x' }, prometheusLabels: [['env', 'y']] }),
    /PROMSHIP_EXTERNAL_LABELS sets env='x'/,
  );
});
