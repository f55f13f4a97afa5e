/**
 * Stable `BucketError` codes shared by every bucket implementation, so the shipper decides
 * "retry later" vs "stop and tell the operator" without looking at store-specific errors.
 */
export const BucketErrorCode = {
  /** Credentials rejected or the identity lacks permission: retrying will not help. */
  ACCESS_DENIED: 'PROMSHIP_BUCKET_ACCESS_DENIED',
  /** No credentials could be found (static keys, env, web identity, container or instance role). */
  NO_CREDENTIALS: 'PROMSHIP_BUCKET_NO_CREDENTIALS',
  /** The bucket itself does not exist. */
  NOT_FOUND: 'PROMSHIP_BUCKET_NOT_FOUND',
  /** No connection could be made (refused, DNS failure, reset). */
  UNREACHABLE: 'PROMSHIP_BUCKET_UNREACHABLE',
  /** Connected, but the store did not answer in time. */
  TIMEOUT: 'PROMSHIP_BUCKET_TIMEOUT',
  /** The store answered 5xx or throttled (429, SlowDown) after the client's own retries. */
  SERVER_ERROR: 'PROMSHIP_BUCKET_SERVER_ERROR',
  /** The store rejected the request for another reason (4xx). */
  REQUEST: 'PROMSHIP_BUCKET_REQUEST',
  /** The caller aborted the operation. */
  ABORTED: 'PROMSHIP_BUCKET_ABORTED',
  /** The stored object's size differs from what was sent: the store altered the bytes. */
  SIZE_MISMATCH: 'PROMSHIP_BUCKET_SIZE_MISMATCH',
  /** The store's checksum of an upload (GCS crc32c/md5Hash, Azure Content-MD5) differs from the bytes sent: the store altered them. */
  CHECKSUM_MISMATCH: 'PROMSHIP_BUCKET_CHECKSUM_MISMATCH',
  /** A key promship itself built is not usable as an object key. */
  BAD_KEY: 'PROMSHIP_BUCKET_BAD_KEY',
  /** A local file to upload could not be read. */
  LOCAL_FILE: 'PROMSHIP_BUCKET_LOCAL_FILE',
} as const;

export type BucketErrorCodeValue = (typeof BucketErrorCode)[keyof typeof BucketErrorCode];
