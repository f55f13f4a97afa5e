/**
 * Errors raised while encoding TSDB data. Callers branch on `code`; each message says what was
 * wrong and what to do about it.
 */
import type { ErrorCode } from '../error-codes.ts';
import { PromshipError } from '../errors.ts';

/** Base of every error raised under `src/tsdb/`. */
export class TsdbError extends PromshipError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB';
}

/** XOR chunk bytes that cannot be decoded: truncated, garbage, or out-of-order timestamps. */
export class XorChunkCorruptError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_XOR_CORRUPT';
}

/** More samples than the 16-bit sample count of an XOR chunk can hold (65535). */
export class XorChunkCapacityError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_XOR_CAPACITY';
}

/** Sample timestamps not strictly increasing within a series. */
export class SampleOrderError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_SAMPLE_ORDER';
}

/** A timestamp that is not a safe integer number of milliseconds (or a delta beyond 2^53 ms). */
export class TimestampRangeError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_TIMESTAMP_RANGE';
}

/** A series' chunks overlap or are not in time order. */
export class ChunkOrderError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_CHUNK_ORDER';
}

/** A histogram chunk straddles a window edge and there is no histogram codec to cut it. */
export class HistogramEdgeError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_HISTOGRAM_EDGE';
}

/** A chunk encoding this code does not know. */
export class ChunkEncodingError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_CHUNK_ENCODING';
}

/** A time window whose end is not after its start, or whose bounds are not integers. */
export class InvalidWindowError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_WINDOW';
}

/** A label set the block writer cannot index: empty, unsorted, duplicate or empty names/values. */
export class InvalidLabelsError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_INVALID_LABELS';
}

/** A chunk the block writer refuses: outside the block range, inverted times or unusable bytes. */
export class InvalidChunkError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_INVALID_CHUNK';
}

/** Two series with the same label set were given to one block. */
export class DuplicateSeriesError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_DUPLICATE_SERIES';
}

/** A block writer used out of order: after finish/abort, or with options it cannot honour. */
export class BlockWriterStateError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_WRITER_STATE';
}

/** Writing a block to local disk failed (space, permissions, I/O); `path` names the file. */
export class BlockWriteError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_WRITE';
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.path = path;
  }
}

/** A block on disk does not follow the TSDB format; `file` names the file and the message the defect. */
export class CorruptBlockError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_CORRUPT_BLOCK';
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options);
    this.file = file;
  }
}

/** A meta.json that Prometheus or Thanos would not accept. */
export class InvalidBlockMetaError extends TsdbError {
  override readonly code: ErrorCode = 'PROMSHIP_TSDB_INVALID_META';
}
