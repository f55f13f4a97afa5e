/**
 * PROMSHIP_RELABEL_PRESET=kubecost on a generated secondary-cluster mix ships exactly the series
 * of the preset's metric names and keep-everything jobs (the source's promtool dump, filtered here
 * by name and job without the relabel engine), every label kept; and the push-down (two disjoint
 * remote-read queries, merged) makes Prometheus send fewer bytes, counted on the wire.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { KUBECOST_PRESET } from '../../src/relabel/presets/kubecost.ts';
import { logLines, runCli } from '../helpers/cli.ts';
import { clusterMixOpenMetrics } from '../helpers/cluster-mix.ts';
import { startPassThroughProxy } from '../helpers/pass-through-proxy.ts';
import { createBlocksFromOpenMetrics, promtoolDump, startPrometheus } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/tmp.ts';

const H = 3_600_000;

t.test('the kubecost preset keeps exactly its series, and push-down shrinks the wire', async (t) => {
  const dir = await tempDir(t, 'promship-kubecost-');
  const start = Math.floor(Date.now() / (2 * H)) * (2 * H) - 4 * H;
  const om = [
    ...clusterMixOpenMetrics({
      nodes: 2,
      podsPerNode: 6,
      apiservers: 1,
      start,
      end: start + 30 * 60_000,
      stepMs: 60_000,
    }),
  ].join('');
  await createBlocksFromOpenMetrics(om, join(dir, 'source'));
  const truth = await promtoolDump(join(dir, 'source'));
  const prom = await startPrometheus({ dataDir: join(dir, 'source'), externalLabels: { cluster_id: 'c1' } });
  t.teardown(async () => {
    await prom.stop();
  });
  let readBytes = 0;
  const proxy = await startPassThroughProxy(t, prom.url, (req, res) => {
    if (req.url?.startsWith('/api/v1/read') === true) {
      const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (chunk instanceof Uint8Array || typeof chunk === 'string') readBytes += Buffer.byteLength(chunk);
        return write(chunk, ...rest);
      }) as typeof res.write;
    }
    return false;
  });

  const ship = async (preset: string): Promise<{ bytes: number; bucket: string; log: Record<string, unknown>[] }> => {
    readBytes = 0;
    const bucket = join(dir, `bucket-${preset}`);
    const res = await runCli(['once'], {
      PROMSHIP_PROMETHEUS_URL: proxy.url,
      PROMSHIP_BUCKET: `file://${bucket}`,
      PROMSHIP_CLUSTER_ID: 'c1',
      PROMSHIP_DATA_DIR: join(dir, `data-${preset}`),
      PROMSHIP_MAX_BACKFILL: '1d',
      PROMSHIP_RELABEL_PRESET: preset,
    });
    t.equal(res.code, 0, `${preset}: ${res.stderr}`);
    return { bytes: readBytes, bucket, log: logLines(res.stdout) };
  };
  const kubecost = await ship('kubecost');
  const everything = await ship('none');

  const names = new Set<string>(KUBECOST_PRESET.metricNames);
  const kept = truth.filter((line) => {
    const name = /__name__="([^"]*)"/.exec(line)?.[1] ?? '';
    const job = /[{ ]job="([^"]*)"/.exec(line)?.[1] ?? '';
    return names.has(name) || job.startsWith('kubecost');
  });
  t.ok(
    kept.length > 1000 && kept.length < truth.length / 2,
    `the preset keeps ${kept.length} of ${truth.length} samples`,
  );
  t.ok(
    kept.some((l) => l.includes('kubecost_allocation_data_status')),
    'a name outside the list, kept for its job',
  );
  t.ok(
    kept.some((l) => l.includes('container_cpu_usage_seconds_total')),
    'a listed name',
  );

  const shipped = await promtoolDump(kubecost.bucket);
  t.equal(shipped.length, kept.length, 'as many samples as the filtered truth');
  t.same(shipped, kept, 'exactly the filtered truth, labels untouched, each series once, sorted');
  t.same(await promtoolDump(everything.bucket), truth, 'without a preset everything ships');

  const line = kubecost.log.find((l) => l.msg === 'shipped block');
  t.ok(
    typeof line?.droppedSeries === 'number' && line.droppedSeries === 0,
    'push-down: nothing left for the local rules to drop',
  );
  t.ok(kubecost.bytes > 0 && everything.bytes > 0);
  t.ok(
    kubecost.bytes * 2 < everything.bytes,
    `push-down: Prometheus sent ${kubecost.bytes} bytes instead of ${everything.bytes}`,
  );
  await writeFile(join(dir, 'bytes.txt'), `${kubecost.bytes} ${everything.bytes}\n`);
});
