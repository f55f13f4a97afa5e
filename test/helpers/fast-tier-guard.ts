/**
 * Loaded into every test process of the fast tier (`npm test`). That tier is for tests that run in
 * process; a test that starts a process (Prometheus, promtool, s3rver, the CLI, helm, ...) belongs
 * in the whole suite and is named `*.int.test.ts` (see README, Development). Starting one here
 * throws, naming the rule, so a slow test cannot slip into the fast tier unnoticed.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const refuse =
  (name: string) =>
  (file: unknown): never => {
    throw new Error(
      `${name}(${JSON.stringify(String(file))}): this test starts a process, so it belongs in \`npm run test:all\`: ` +
        'name its file *.int.test.ts (README, Development)',
    );
  };

for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  Object.defineProperty(childProcess, name, { value: refuse(name), writable: true, configurable: true });
}
syncBuiltinESMExports();
