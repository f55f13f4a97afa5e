/**
 * The index file as it is written: small writes are gathered in one buffer and handed to the
 * file in large pieces, with the running CRC32C of a section body kept across those pieces and
 * 4-byte fields that are known only later (a section's length) patched in place.
 */
import type { BufferedFile } from './buffered-file.ts';
import { ByteWriter } from './encoding.ts';

const FLUSH_BYTES = 1 << 20;

export class IndexStream {
  /** Where callers put bytes; check `full` and await `flush` now and then. */
  readonly w = new ByteWriter(FLUSH_BYTES + 64 * 1024);
  private crc = 0;
  private crcFrom = -1;

  constructor(private readonly file: BufferedFile) {}

  get position(): number {
    return this.file.position + this.w.length;
  }

  get full(): boolean {
    return this.w.length >= FLUSH_BYTES;
  }

  /** Zero bytes up to the next multiple of `alignment`. */
  pad(alignment: number): void {
    const rem = this.position % alignment;
    if (rem !== 0) for (let i = rem; i < alignment; i++) this.w.putByte(0);
  }

  /** Starts a CRC32C over everything written from here until `endCrc`. */
  beginCrc(): void {
    this.crc = 0;
    this.crcFrom = this.w.length;
  }

  endCrc(): number {
    const crc = this.w.crc32cFrom(this.crcFrom, this.crc);
    this.crcFrom = -1;
    return crc;
  }

  async flush(): Promise<void> {
    const bytes = this.w.view();
    if (this.crcFrom >= 0) {
      this.crc = this.w.crc32cFrom(this.crcFrom, this.crc);
      this.crcFrom = 0;
    }
    await this.file.write(bytes);
    this.w.reset();
  }

  /** Overwrites a big-endian u32 written earlier at `position`. */
  async patchBe32(position: number, value: number): Promise<void> {
    const at = position - this.file.position;
    if (at >= 0) {
      this.w.view().writeUInt32BE(value >>> 0, at);
      return;
    }
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value >>> 0);
    await this.file.writeAt(position, b);
  }
}
