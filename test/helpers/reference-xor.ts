/**
 * A deliberately slow, obviously-literal XOR chunk encoder for cross-checking: BigInt arithmetic
 * and a string of '0'/'1' characters, transcribing the rules of Prometheus' tsdb/chunkenc/xor.go
 * (varint/uvarint as in Go's encoding/binary, bitRange buckets, leading-zero clamp at 31, window
 * reuse when the new window fits inside the old one). Shares no code with src/.
 *
 * Layout 'prometheus2' models the 2.x bstream, whose writeByte on a byte boundary left an empty
 * spare byte behind (count = 8): a stream that ends right after a whole-byte write on a boundary
 * carries one extra zero byte. Written as a literal simulation of that bstream state.
 */
const MASK64 = (1n << 64n) - 1n;

function bitsOf(v: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v);
  return dv.getBigUint64(0);
}

function binary(x: bigint, n: number): string {
  if (n === 0) return '';
  return (x & ((1n << BigInt(n)) - 1n)).toString(2).padStart(n, '0');
}

function uvarintBits(x: bigint): string {
  let out = '';
  while (x >= 0x80n) {
    out += binary((x & 0x7fn) | 0x80n, 8);
    x >>= 7n;
  }
  return out + binary(x, 8);
}

function varintBits(x: bigint): string {
  let ux = (x << 1n) & MASK64;
  if (x < 0n) ux = ~ux & MASK64;
  return uvarintBits(ux);
}

function leadingZeros64(x: bigint): number {
  return 64 - x.toString(2).length;
}

function trailingZeros64(x: bigint): number {
  let n = 0;
  while (((x >> BigInt(n)) & 1n) === 0n) n++;
  return n;
}

function fits(x: bigint, nbits: number): boolean {
  const half = 1n << BigInt(nbits - 1);
  return -(half - 1n) <= x && x <= half;
}

export function referenceXorEncode(
  samples: readonly { t: number; v: number }[],
  layout: 'prometheus2' | 'prometheus3' = 'prometheus2',
): Uint8Array {
  let s = '';
  // Simulated 2.x bstream `count`: free bits in the last byte; 8 means an empty spare byte.
  let count = 0;
  const put = (bits: string): void => {
    for (let i = 0; i + 8 <= bits.length; i += 8) {
      if (count === 0) count = 8; // writeByte: append a byte, then another; count unchanged
    }
    for (let i = bits.length - (bits.length % 8); i < bits.length; i++) {
      if (count === 0) count = 8; // writeBit: append a byte when full
      count--;
    }
    s += bits;
  };
  let prevT = 0n;
  let prevDelta = 0n;
  let prevBits = 0n;
  let leading = 0xff;
  let trailing = 0;
  samples.forEach(({ t, v }, i) => {
    const tt = BigInt(t);
    const vb = bitsOf(v);
    if (i === 0) {
      for (const byte of varintBits(tt).match(/.{8}/g) ?? []) put(byte);
      put(binary(vb, 64));
    } else {
      const delta = tt - prevT;
      if (i === 1) {
        for (const byte of uvarintBits(delta).match(/.{8}/g) ?? []) put(byte);
      } else {
        const dod = delta - prevDelta;
        const u = dod & MASK64;
        if (dod === 0n) put('0');
        else if (fits(dod, 14)) {
          put('10');
          put(binary(u, 14));
        } else if (fits(dod, 17)) {
          put('110');
          put(binary(u, 17));
        } else if (fits(dod, 20)) {
          put('1110');
          put(binary(u, 20));
        } else {
          put('1111');
          put(binary(u, 64));
        }
      }
      prevDelta = delta;
      const x = vb ^ prevBits;
      if (x === 0n) {
        put('0');
      } else {
        let lz = leadingZeros64(x);
        const tz = trailingZeros64(x);
        if (lz >= 32) lz = 31;
        if (leading !== 0xff && lz >= leading && tz >= trailing) {
          put('1');
          put('0');
          put(binary(x >> BigInt(trailing), 64 - leading - trailing));
        } else {
          leading = lz;
          trailing = tz;
          const sig = 64 - lz - tz;
          put('1');
          put('1');
          put(binary(BigInt(lz), 5));
          put(binary(BigInt(sig), 6));
          put(binary(x >> BigInt(tz), sig));
        }
      }
    }
    prevT = tt;
    prevBits = vb;
  });
  while (s.length % 8 !== 0) s += '0';
  if (layout === 'prometheus2' && count === 8) s += '00000000';
  const out = new Uint8Array(2 + s.length / 8);
  out[0] = samples.length >> 8;
  out[1] = samples.length & 0xff;
  for (let i = 0; i < s.length / 8; i++) out[2 + i] = parseInt(s.slice(i * 8, i * 8 + 8), 2);
  return out;
}
