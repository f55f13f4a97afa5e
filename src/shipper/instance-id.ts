/**
 * This agent's instance id: a random id kept in the data dir, so a run that crashed and the agent
 * restarted on the same data dir are recognised as the same writer, and any other data dir (a
 * second agent, or this one restarted on an empty volume) is a different one.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

const FILE = 'instance-id';
const VALID = /^[A-Za-z0-9-]{8,64}$/;

export async function loadInstanceId(dataDir: string): Promise<string> {
  const path = join(dataDir, FILE);
  const existing = await readId(path);
  if (existing !== null) return existing;
  await mkdir(dataDir, { recursive: true });
  const id = randomUUID();
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${id}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  // Two processes of one agent creating it at once: whichever rename came last is the id.
  return (await readId(path)) ?? id;
}

async function readId(path: string): Promise<string | null> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    // A torn or edited file is replaced rather than trusted.
    return VALID.test(text) ? text : null;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw err;
  }
}
