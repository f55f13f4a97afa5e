/**
 * A local directory laid out exactly like Thanos' FILESYSTEM object store: the object `a/b/c`
 * is the file `<root>/a/b/c`. Writes go to a temp file beside the tree and are renamed into
 * place, so a reader (or a crash) never sees a half-written object.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { BucketError } from '../errors.ts';
import type { Bucket, ObjectInfo } from './bucket.ts';

const TMP_DIR = '.promship-tmp';

export class FileBucket implements Bucket {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.description = `file://${this.root}`;
  }

  private path(key: string): string {
    if (key === '' || key.startsWith('/') || key.split('/').some((p) => p === '..' || p === '.')) {
      throw new BucketError('PROMSHIP_BUCKET_BAD_KEY', `object key '${key}' is not a clean relative path`, { key });
    }
    return join(this.root, ...key.split('/'));
  }

  private async tempPath(): Promise<string> {
    const dir = join(this.root, TMP_DIR);
    await mkdir(dir, { recursive: true });
    return join(dir, randomBytes(8).toString('hex'));
  }

  private async place(tmp: string, key: string): Promise<void> {
    const dest = this.path(key);
    await intoDirectory(dest, () => rename(tmp, dest));
  }

  async uploadFile(key: string, filePath: string): Promise<void> {
    const tmp = await this.tempPath();
    try {
      await copyFile(filePath, tmp);
      await fsyncFile(tmp);
      await this.place(tmp, key);
    } catch (err) {
      await rm(tmp, { force: true });
      throw wrap(err, key, 'upload');
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const tmp = await this.tempPath();
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.place(tmp, key);
    } catch (err) {
      await rm(tmp, { force: true });
      throw wrap(err, key, 'write');
    }
  }

  /**
   * The whole content goes to a temp file first and is then hard-linked into place: link() fails
   * with EEXIST when the key exists, atomically, and a reader never sees a partly written object.
   */
  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const tmp = await this.tempPath();
    try {
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      const dest = this.path(key);
      try {
        await intoDirectory(dest, () => link(tmp, dest));
        return true;
      } catch (err) {
        if ((err as { code?: unknown }).code === 'EEXIST') return false;
        throw err;
      }
    } catch (err) {
      throw wrap(err, key, 'create');
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw wrap(err, key, 'read');
    }
  }

  async download(key: string, filePath: string): Promise<boolean> {
    try {
      await copyFile(this.path(key), filePath);
      return true;
    } catch (err) {
      if (isNotFound(err) && !(await this.stat(key))) return false;
      throw wrap(err, key, 'read');
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(this.path(key));
      if (!s.isFile()) return null;
      return { key, size: s.size };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw wrap(err, key, 'stat');
    }
  }

  async listChildren(prefix: string): Promise<string[]> {
    const dir = prefix === '' ? this.root : this.path(prefix.replace(/\/$/, ''));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return [];
      throw wrap(err, prefix, 'list');
    }
    return entries
      .filter((e) => !(prefix === '' && e.name === TMP_DIR))
      .map((e) => prefix + e.name + (e.isDirectory() ? '/' : ''))
      .sort();
  }

  async listObjects(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    const walk = async (p: string): Promise<void> => {
      for (const child of await this.listChildren(p)) {
        if (child.endsWith('/')) await walk(child);
        else {
          const info = await this.stat(child);
          if (info) out.push(info);
        }
      }
    };
    await walk(prefix);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Directories left empty go too, up to the root, as Thanos' filesystem store does: an object
   * store has no empty directories, and a block directory left behind would be listed as a
   * partial upload for ever.
   */
  async delete(key: string): Promise<void> {
    const file = this.path(key);
    try {
      await rm(file, { force: true });
    } catch (err) {
      throw wrap(err, key, 'delete');
    }
    for (let dir = dirname(file); dir !== this.root && dir.startsWith(this.root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch (err) {
        // Not empty (the usual case), or already gone: nothing more to remove above it either way,
        // except when gone, where its parent may still be empty.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') break;
      }
    }
  }

  /**
   * Nothing to abort: each write is one copy into a temp file and a rename, with no state a
   * later run could resume or that a reader could see.
   */
  abortIncompleteUploads(): Promise<number> {
    return Promise.resolve(0);
  }

  async close(): Promise<void> {}
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function wrap(err: unknown, key: string, op: string): BucketError {
  if (err instanceof BucketError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOSPC') {
    return new BucketError(
      'PROMSHIP_BUCKET_FULL',
      `cannot ${op} '${key}': the bucket's filesystem is full; free space there`,
      { cause: err, key },
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new BucketError(
      'PROMSHIP_BUCKET_ACCESS_DENIED',
      `cannot ${op} '${key}': permission denied; make the bucket directory writable for promship`,
      { cause: err, key },
    );
  }
  const why = err instanceof Error ? err.message : String(err);
  return new BucketError('PROMSHIP_BUCKET_REQUEST', `cannot ${op} '${key}': ${why.split(sep).join('/')}`, {
    cause: err,
    key,
  });
}

/**
 * Runs `op` (a rename or link to `dest`) once `dest`'s directory exists. Deleting the last object
 * of a directory removes it (see `FileBucket.delete`), possibly between the two steps, so a
 * directory gone missing is created again, a few times.
 */
async function intoDirectory(dest: string, op: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await mkdir(dirname(dest), { recursive: true });
    try {
      await op();
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ENOENT' || attempt === 3) throw err;
    }
  }
}
