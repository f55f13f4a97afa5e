/**
 * A plain XOR chunk decoder for tests (rules of Prometheus' tsdb/chunkenc/xor.go: 2-byte sample
 * count, varint first timestamp + raw float, uvarint delta, then delta-of-delta buckets and XOR
 * values with leading/trailing-zero windows). BigInt for clarity over speed; shares no code with
 * src/.
 */
export interface DecodedSample {
  t: number;
  v: number;
}

class BitReader {
  private pos = 0; // in bits

  constructor(private readonly bytes: Uint8Array) {}

  bit(): number {
    const byte = this.bytes[this.pos >> 3];
    if (byte === undefined) throw new Error('XOR chunk: read past the end');
    const b = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }

  bits(n: number): bigint {
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 1n) | BigInt(this.bit());
    return v;
  }

  byte(): number {
    return Number(this.bits(8));
  }

  uvarint(): bigint {
    let x = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      x |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return x;
      shift += 7n;
    }
  }

  varint(): bigint {
    const ux = this.uvarint();
    return ux & 1n ? -((ux >> 1n) + 1n) : ux >> 1n;
  }
}

function floatFromBits(bits: bigint): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, bits & ((1n << 64n) - 1n));
  return dv.getFloat64(0);
}

function bitsFromFloat(v: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  return dv.getBigUint64(0);
}

export function decodeXorChunk(data: Uint8Array): DecodedSample[] {
  if (data.length < 2) throw new Error('XOR chunk: shorter than its header');
  const count = (data[0]! << 8) | data[1]!;
  const r = new BitReader(data.subarray(2));
  const out: DecodedSample[] = [];
  let t = 0n;
  let delta = 0n;
  let value = 0;
  let leading = 0;
  let trailing = 0;

  const readValue = (): void => {
    if (r.bit() === 0) return;
    if (r.bit() === 1) {
      leading = Number(r.bits(5));
      let significant = Number(r.bits(6));
      if (significant === 0) significant = 64;
      trailing = 64 - leading - significant;
    }
    const significant = 64 - leading - trailing;
    const xor = r.bits(significant) << BigInt(trailing);
    value = floatFromBits(bitsFromFloat(value) ^ xor);
  };

  for (let i = 0; i < count; i++) {
    if (i === 0) {
      t = r.varint();
      value = floatFromBits(r.bits(64));
    } else if (i === 1) {
      delta = r.uvarint();
      t += delta;
      readValue();
    } else {
      let prefix = 0;
      while (prefix < 4 && r.bit() === 1) prefix++;
      let dod = 0n;
      const size = [0, 14, 17, 20][prefix];
      if (size === undefined) {
        dod = BigInt.asIntN(64, r.bits(64));
      } else if (size > 0) {
        let bits = r.bits(size);
        if (bits > 1n << BigInt(size - 1)) bits -= 1n << BigInt(size);
        dod = bits;
      }
      delta += dod;
      t += delta;
      readValue();
    }
    out.push({ t: Number(t), v: value });
  }
  return out;
}
