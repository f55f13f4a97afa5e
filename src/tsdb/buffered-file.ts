/**
 * A write-only file with a large in-memory buffer: blocks are written as a few big sequential
 * writes instead of one syscall per chunk or per series entry. I/O failures become
 * `BlockWriteError`s naming the file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BlockWriteError } from './errors.ts';

const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;

export class BufferedFile {
  private readonly buf: Buffer;
  private used = 0;
  private written = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    bufferBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(bufferBytes);
  }

  static async create(path: string, bufferBytes = DEFAULT_BUFFER_BYTES): Promise<BufferedFile> {
    try {
      // 'wx': a leftover file means two writers share a directory, which must not go unnoticed.
      const fh = await open(path, 'wx');
      return new BufferedFile(path, fh, bufferBytes);
    } catch (err) {
      throw ioError(path, 'create', err);
    }
  }

  /** Bytes written so far, buffered or not: the offset of the next byte. */
  get position(): number {
    return this.written + this.used;
  }

  /**
   * Copies `parts` into the buffer if they all fit, without awaiting; false (and nothing
   * copied) when the buffer must be flushed first. Lets hot loops skip a promise per write.
   */
  tryAppend(a: Uint8Array, b?: Uint8Array, c?: Uint8Array): boolean {
    const n = a.length + (b?.length ?? 0) + (c?.length ?? 0);
    if (this.closed || n > this.buf.length - this.used) return false;
    this.buf.set(a, this.used);
    this.used += a.length;
    if (b) {
      this.buf.set(b, this.used);
      this.used += b.length;
    }
    if (c) {
      this.buf.set(c, this.used);
      this.used += c.length;
    }
    return true;
  }

  /**
   * Claims `n` bytes at the end of the buffer for the caller to fill in place (at `buffer` from
   * the returned offset), without awaiting; -1 (nothing claimed) when they do not fit before a
   * flush. Saves building small pieces only to copy them: a chunk's header, bytes and CRC go
   * straight into the buffer.
   */
  tryReserve(n: number): number {
    if (this.closed || n > this.buf.length - this.used) return -1;
    const at = this.used;
    this.used += n;
    return at;
  }

  /** Bytes `tryReserve` or `tryAppend` can still take before a flush. */
  get bufferFree(): number {
    return this.closed ? 0 : this.buf.length - this.used;
  }

  /** The write buffer, for filling what `tryReserve` claimed. */
  get buffer(): Buffer {
    return this.buf;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length > this.buf.length - this.used) {
      await this.flush();
      if (bytes.length > this.buf.length) {
        await this.writeDirect(bytes);
        return;
      }
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Zero bytes up to the next multiple of `alignment`. */
  async padTo(alignment: number): Promise<void> {
    const rem = this.position % alignment;
    if (rem !== 0) await this.write(new Uint8Array(alignment - rem));
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    await this.writeDirect(this.buf.subarray(0, n));
  }

  private async writeDirect(bytes: Uint8Array): Promise<void> {
    try {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await this.fh.write(bytes, off, bytes.length - off, this.written);
        off += bytesWritten;
        this.written += bytesWritten;
      }
    } catch (err) {
      throw ioError(this.path, 'write', err);
    }
  }

  /**
   * Overwrites bytes already written (e.g. a section length known only at its end). The range
   * must lie wholly in the buffer or wholly on disk, which holds for a 4-byte length field.
   */
  async writeAt(position: number, bytes: Uint8Array): Promise<void> {
    if (position + bytes.length > this.position)
      throw new RangeError(`writeAt ${position} is beyond the end of ${this.path}`);
    if (position >= this.written) {
      this.buf.set(bytes, position - this.written);
      return;
    }
    if (position + bytes.length > this.written) await this.flush();
    try {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await this.fh.write(bytes, off, bytes.length - off, position + off);
        off += bytesWritten;
      }
    } catch (err) {
      throw ioError(this.path, 'write', err);
    }
  }

  /**
   * Flushes, fsyncs and closes: the bytes are durable once this resolves. Returns the file size.
   * `sync: false` skips the fsync, for scratch files that are read back and deleted.
   */
  async close(opts: { sync?: boolean } = {}): Promise<number> {
    if (this.closed) return this.written;
    await this.flush();
    try {
      if (opts.sync !== false) await this.fh.sync();
      this.closed = true;
      await this.fh.close();
    } catch (err) {
      throw ioError(this.path, 'sync', err);
    }
    return this.written;
  }

  /** Closes without flushing; for cleanup after a failure (the file is deleted by the caller). */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.used = 0;
    await this.fh.close().catch(() => undefined);
  }
}

export function ioError(path: string, action: string, err: unknown): BlockWriteError {
  const reason = err instanceof Error ? err.message : String(err);
  return new BlockWriteError(
    path,
    `could not ${action} ${path}: ${reason}; check free disk space and permissions of the data directory`,
    { cause: err },
  );
}
