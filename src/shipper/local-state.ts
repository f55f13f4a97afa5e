/**
 * What the shipper keeps on local disk between runs, which happen in separate processes: the
 * cached block metas (so a run does not download every meta.json of a shared bucket again) and
 * the number of covered windows last reported. Only a cache: the bucket stays the truth, and a
 * missing or damaged file just means one run does more requests.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';

export interface LocalState {
  metas: unknown[];
  coveredReported: number;
}

const VERSION = 1;

const encode = (state: LocalState): string => JSON.stringify({ version: VERSION, ...state });

export async function loadLocalState(file: string): Promise<LocalState | undefined> {
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalState> & { version?: unknown };
    if (raw.version !== VERSION || !Array.isArray(raw.metas) || typeof raw.coveredReported !== 'number')
      return undefined;
    return { metas: raw.metas, coveredReported: raw.coveredReported };
  } catch {
    return undefined;
  }
}

/**
 * Written whole and renamed, so a run killed mid-write leaves the old file or the new one; not
 * written at all when it would hold what `loaded` (the state read at the run's start) held, which
 * is most runs.
 */
export async function saveLocalState(file: string, state: LocalState, loaded?: LocalState): Promise<void> {
  const text = encode(state);
  if (loaded && encode(loaded) === text) return;
  const tmp = `${file}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
