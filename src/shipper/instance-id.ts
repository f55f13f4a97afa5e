/**
 * This agent's instance id: a random id kept in the data dir, created on first use. It tells two
 * writers of one cluster apart (a second pod, a `once` run from elsewhere) in the heartbeat and
 * the ledger. An empty data dir (a new pod) is a new instance, as it should be: it is a new writer.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const FILE = 'instance-id';
const VALID = /^[0-9A-Za-z-]{8,64}$/;

export async function loadInstanceId(dataDir: string): Promise<string> {
  const file = join(dataDir, FILE);
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (VALID.test(id)) return id;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
  }
  const id = randomUUID();
  await mkdir(dataDir, { recursive: true });
  // Written whole and renamed: a run killed mid-write must not leave a torn id to be read next.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${id}\n`);
  await rename(tmp, file);
  return id;
}
