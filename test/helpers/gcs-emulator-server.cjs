/**
 * Child-process entry for the firebase-tools storage emulator's GCS JSON API (no Java, no
 * firebase CLI). CommonJS because firebase-tools is. It runs apart from the test process so its
 * whole-body buffering (~4x an upload's size) does not count against the code under test, and so
 * it can be stopped by PID. Usage: node gcs-emulator-server.cjs <port|0>
 * Prints `LISTENING <port>` once ready; exits on SIGTERM or when its stdin closes. Blob bytes go
 * to $TMPDIR/firebase/storage/blobs: the parent gives each instance its own TMPDIR.
 */
'use strict';
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage/index.js');
const { createApp } = require('firebase-tools/lib/emulator/storage/server.js');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry.js');

async function main() {
  const port = Number(process.argv[2] ?? '0');
  const emu = new StorageEmulator({
    projectId: 'demo-test',
    host: '127.0.0.1',
    port,
    rules: { name: 'none', content: '' },
  });
  const app = await createApp('demo-test', emu);
  const server = await new Promise((resolve, reject) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  emu.args.port = server.address().port;
  EmulatorRegistry.set('storage', emu);
  process.stdout.write(`LISTENING ${server.address().port}\n`);
  const shutdown = () => {
    server.close();
    server.closeAllConnections();
    Promise.resolve(emu._persistence.deleteAll())
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

main().catch((err) => {
  process.stderr.write(`gcs emulator failed to start: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});
