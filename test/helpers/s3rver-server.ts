/**
 * Child-process entry for s3rver. It runs apart from the test process because s3rver needs
 * `--openssl-legacy-provider` (its continuation tokens use a legacy cipher) and that flag must not
 * leak into the code under test. Usage:
 *   node --openssl-legacy-provider --import tsx s3rver-server.ts <dir> <port|0> <bucket>
 * Prints `LISTENING <port>` once ready; exits on SIGTERM or when its stdin closes.
 */
import { createRequire } from 'node:module';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

// s3rver is CommonJS without type declarations.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

const [directory, portText, bucket] = process.argv.slice(2);
if (directory === undefined || portText === undefined || bucket === undefined) {
  process.stderr.write('usage: s3rver-server.ts <dir> <port> <bucket>\n');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(portText),
  directory,
  silent: true,
  configureBuckets: [{ name: bucket }],
});
const address = await server.run();
process.stdout.write(`LISTENING ${address.port}\n`);

const shutdown = (): void => {
  void server.close().finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// stdin is a pipe from the test process: when that process dies without tearing down, the pipe
// closes and the server goes too instead of lingering as an orphan.
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
