/**
 * Float64 bit patterns for tests, through typed arrays (which copy bits verbatim, so NaN
 * payloads such as Prometheus' stale marker survive).
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The IEEE-754 bits of `v` as 16 hex digits (payload-exact, for comparing NaNs). */
export function float64Hex(v: number): string {
  f64[0] = v;
  const hi = u32[LE ? 1 : 0] ?? 0;
  const lo = u32[LE ? 0 : 1] ?? 0;
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** The float64 whose IEEE-754 bits are `hi:lo`. */
export function float64FromBits(hi: number, lo: number): number {
  u32[LE ? 1 : 0] = hi >>> 0;
  u32[LE ? 0 : 1] = lo >>> 0;
  return f64[0] ?? 0;
}
