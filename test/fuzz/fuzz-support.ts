/**
 * Shared pieces of the property-based (fast-check) tests: run counts and seeds, byte mutations,
 * random network splits, and the one check every target shares: a rejection must be a typed error.
 *
 * Runs: each property has a default count sized for CI; `FUZZ_RUNS=N` replaces the defaults
 * (`npm run test:fuzz` runs 100,000 per property; the on-disk and HTTP properties take N / 100), `FUZZ_SEED=S` replaces the fixed seeds. fast-check
 * prints the seed and the shrunk counterexample when a property fails, so a failure replays with
 * `FUZZ_SEED=<seed>`.
 */
import fc from 'fast-check';
import { PromshipError } from '../../src/errors.ts';
import { errorCodes } from '../../src/error-codes.ts';
import { ReadFault } from '../../src/prometheus/errors.ts';
import { toRemoteReadError } from '../../src/prometheus/explain-failure.ts';

/** The number of inputs for one property: `FUZZ_RUNS` when set, else `ciRuns`. */
export function fuzzRuns(ciRuns: number): number {
  const env = process.env.FUZZ_RUNS;
  if (env === undefined || env === '') return ciRuns;
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`FUZZ_RUNS must be a positive integer, got ${env}`);
  return n;
}

/**
 * For properties that touch disk or HTTP per input (about 100 times slower): `FUZZ_RUNS / 100`
 * when set (at least `ciRuns`), else `ciRuns`.
 */
export function slowRuns(ciRuns: number): number {
  const env = process.env.FUZZ_RUNS;
  if (env === undefined || env === '') return ciRuns;
  return Math.max(ciRuns, Math.floor(fuzzRuns(ciRuns) / 100));
}

/** Fixed per property so runs are reproducible; `FUZZ_SEED` overrides all of them. */
export function fuzzSeed(fixed: number): number {
  const env = process.env.FUZZ_SEED;
  if (env === undefined || env === '') return fixed;
  const n = Number(env);
  if (!Number.isSafeInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got ${env}`);
  return n;
}

/**
 * fast-check parameters: `runs` from `fuzzRuns`/`slowRuns`, the seed from `fuzzSeed`. An async
 * input that has not settled after 30 s fails the property (with its counterexample) instead of
 * hanging the file; a synchronous hang still shows as the file's tap timeout.
 */
export function params<T>(runs: number, seed: number): fc.Parameters<T> {
  return { numRuns: runs, seed: fuzzSeed(seed), plugins: [fc.timeout(30_000) as fc.Plugin<T>] };
}

const REMOTE_READ_CODES = new Set<string>(Object.keys(errorCodes).filter((c) => c.startsWith('PROMSHIP_REMOTE_READ_')));
const CODE = /^PROMSHIP_[A-Z0-9_]+$/;

/**
 * Passes when `err` is a typed promship error: a `PromshipError` with a `PROMSHIP_…` code, or the
 * remote-read helpers' `ReadFault` (which the client turns into a `RemoteReadError`; checked here
 * too, since the client would wrap a raw TypeError as a "connection failed" error and hide it).
 * Anything else fails the property with the error's stack.
 */
export function assertTyped(err: unknown, where: string): void {
  if (err instanceof ReadFault) {
    if (!REMOTE_READ_CODES.has(err.code)) throw new Error(`${where}: ReadFault with unknown code ${err.code}`);
    const converted = toRemoteReadError(err, { what: 'fuzz', timeoutMs: 1 });
    if (!(converted instanceof PromshipError) || converted.code !== err.code) {
      throw new Error(`${where}: ReadFault ${err.code} did not convert to a RemoteReadError with the same code`);
    }
    return;
  }
  if (err instanceof PromshipError && CODE.test(err.code)) return;
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  throw new Error(`${where}: untyped rejection ${(err as Error | null)?.constructor.name ?? typeof err}: ${detail}`);
}

// ---- byte mutations ----------------------------------------------------------------------

export type MutationKind =
  'flip' | 'set' | 'insert' | 'delete' | 'truncate' | 'duplicate' | 'varint' | 'splice' | 'zero';

export interface Mutation {
  kind: MutationKind;
  pos: number;
  len: number;
  byte: number;
  bytes: Uint8Array;
  other: number;
}

const interestingByte = fc.oneof(
  fc.constantFrom(0x00, 0x01, 0x02, 0x0a, 0x12, 0x7f, 0x80, 0xfe, 0xff),
  fc.integer({ min: 0, max: 255 }),
);

/** Bytes that are valid-looking but extreme uvarints: huge lengths, 10-byte maxima, overlong. */
const varintBytes = fc.constantFrom(
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f),
  Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
  Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
  Uint8Array.of(0x80, 0x80, 0x80, 0x20),
  Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x08),
  Uint8Array.of(0xff, 0x7f),
  Uint8Array.of(0x00),
);

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<MutationKind>(
    'flip',
    'flip',
    'set',
    'set',
    'insert',
    'delete',
    'truncate',
    'duplicate',
    'varint',
    'splice',
    'zero',
  ),
  pos: fc.nat({ max: 1 << 20 }),
  len: fc.integer({ min: 1, max: 64 }),
  byte: interestingByte,
  bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 16 }), varintBytes),
  other: fc.nat(),
});

/** 1 to `max` mutations, applied in order. */
export const mutationsArb = (max = 6): fc.Arbitrary<Mutation[]> =>
  fc.array(mutationArb, { minLength: 1, maxLength: max });

/** `base` with the mutations applied; `pool` supplies the other side of a splice. */
export function mutate(base: Uint8Array, mutations: readonly Mutation[], pool: readonly Uint8Array[] = []): Buffer {
  let b = Buffer.from(base);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.pos % (b.length + 1);
    const inside = b.length === 0 ? 0 : m.pos % b.length;
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) b[inside] = b[inside]! ^ (1 << (m.other % 8));
        break;
      case 'set':
        if (b.length > 0) b[inside] = m.byte;
        break;
      case 'zero':
        b.fill(0, inside, Math.min(b.length, inside + m.len));
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'varint':
        // Overwrite in place (same length where possible) so later structure stays aligned.
        b = Buffer.concat([b.subarray(0, inside), m.bytes, b.subarray(Math.min(b.length, inside + m.bytes.length))]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + m.len))]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'duplicate':
        b = Buffer.concat([
          b.subarray(0, at + m.len),
          b.subarray(at, Math.min(b.length, at + m.len)),
          b.subarray(Math.min(b.length, at + m.len)),
        ]);
        break;
      case 'splice': {
        const other = pool.length > 0 ? pool[m.other % pool.length]! : base;
        const from = other.length === 0 ? 0 : (m.len * 37) % other.length;
        b = Buffer.concat([b.subarray(0, at), other.subarray(from)]);
        break;
      }
    }
  }
  return b;
}

// ---- network splits ----------------------------------------------------------------------

/** Cut points for `splitAt`: up to 12, any positions (taken modulo the length). */
export const cutsArb = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 12 });

/** `bytes` as the pieces a socket might deliver, cut at the given points. */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))]
    .filter((c) => c > 0)
    .sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(Buffer.from(bytes.subarray(prev, p)));
    prev = p;
  }
  out.push(Buffer.from(bytes.subarray(prev)));
  return out;
}

export async function* body(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

/** A progress line for the test log: inputs, time, and how they ended. */
export function summary(name: string, counts: Record<string, number>, startedMs: number): string {
  const parts = Object.entries(counts).map(([k, v]) => `${k} ${v}`);
  return `${name}: ${parts.join(', ')} in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`;
}
