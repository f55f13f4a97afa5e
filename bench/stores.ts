/**
 * `npm run bench -- --stores file,s3rver,gcs,azurite`: the same window shipped by `promship once`
 * (built CLI) into s3rver, the firebase-tools GCS emulator and Azurite, each started on loopback in a process of
 * its own, beside the file bucket's figures: ship time (from the shipped-block log line) and
 * peak RSS of `once` (GNU time).
 */
import { join } from 'node:path';
import { startAzurite } from '../test/helpers/azurite.ts';
import { startGcsEmulator } from '../test/helpers/gcs-emulator.ts';
import { startS3rver } from '../test/helpers/s3.ts';
import { timed } from './lib.ts';

const ROOT = new URL('..', import.meta.url).pathname;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function storeRuns(
  stores: readonly string[],
  runs: number,
  ctx: { prometheusUrl: string; work: string; fileShip: { shipMs: number; maxRssMiB: number } },
): Promise<string> {
  const teardowns: (() => unknown)[] = [];
  const t = { teardown: (fn: () => unknown): void => void teardowns.push(fn) };
  const rows: string[] = [
    `| file bucket | ${(ctx.fileShip.shipMs / 1000).toFixed(2)} s | **${ctx.fileShip.maxRssMiB.toFixed(0)} MiB** |`,
  ];
  try {
    for (const store of stores) {
      let env: Record<string, string>;
      let label: string;
      if (store === 's3rver') {
        const srv = await startS3rver(t);
        label = 's3rver 3.7.1 (own process)';
        env = {
          PROMSHIP_BUCKET: `s3://${srv.bucket}/thanos`,
          PROMSHIP_S3_ENDPOINT: srv.endpoint,
          PROMSHIP_S3_REGION: srv.region,
          PROMSHIP_S3_FORCE_PATH_STYLE: 'true',
          PROMSHIP_S3_CHECKSUM_MODE: 'when-required',
          AWS_ACCESS_KEY_ID: srv.accessKeyId,
          AWS_SECRET_ACCESS_KEY: srv.secretAccessKey,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        };
      } else if (store === 'gcs') {
        const emu = await startGcsEmulator(t);
        label = 'GCS: firebase-tools storage emulator (own process), `gs://`';
        env = { PROMSHIP_BUCKET: `gs://${emu.bucket}/thanos`, STORAGE_EMULATOR_HOST: emu.endpoint };
      } else if (store === 'azurite') {
        // On disk: in memory Azurite itself grows by hundreds of MiB for files this size.
        const srv = await startAzurite(t, { onDisk: true });
        label = 'Azure: Azurite (own process), `azblob://`';
        env = {
          PROMSHIP_BUCKET: `azblob://${srv.container}/thanos`,
          AZURE_STORAGE_CONNECTION_STRING: srv.connectionString(),
        };
      } else {
        throw new Error(`unknown store ${store}: use file, s3rver, gcs or azurite`);
      }
      const ships: { shipMs: number; maxRssMiB: number }[] = [];
      for (let i = 0; i < runs; i++) {
        console.error(`bench: once into ${store}, run ${i + 1}/${runs}`);
        const r = await timed('node', [join(ROOT, 'dist/cli.js'), 'once'], {
          ...env,
          // A fresh prefix each run, so each ships the window.
          ...(env.PROMSHIP_BUCKET ? { PROMSHIP_BUCKET: `${env.PROMSHIP_BUCKET}-${i}` } : {}),
          PROMSHIP_PROMETHEUS_URL: ctx.prometheusUrl,
          PROMSHIP_DATA_DIR: join(ctx.work, `data-${store}-${i}`),
          PROMSHIP_MAX_BACKFILL: '4h',
          PROMSHIP_LOG_LEVEL: 'info',
        });
        const shipped = r.stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => l.msg === 'shipped block');
        if (shipped.length !== 1) throw new Error(`${store}: expected one shipped block, got ${shipped.length}`);
        ships.push({ shipMs: Number(shipped[0]!.durationMs), maxRssMiB: r.maxRssMiB });
      }
      rows.push(
        `| ${label} | ${(median(ships.map((s) => s.shipMs)) / 1000).toFixed(2)} s | **${Math.max(...ships.map((s) => s.maxRssMiB)).toFixed(0)} MiB** |`,
      );
    }
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
  return [
    `Stores (median ship time of ${runs} runs of \`promship once\`, the largest peak RSS; target ≤ 200 MiB each):`,
    '',
    '| store | ship the window (read, build, upload) | `once` peak RSS |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
