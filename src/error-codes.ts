/**
 * Every stable `PROMSHIP_*` error code, declared once: operators alert on these strings, so an entry's
 * key never changes once released. Errors take their `code` from `ErrorCode`, `docs/errors.md` is
 * generated from this table (`npm run docs`), and a test fails when the source uses a code that is
 * not here. Adding a code is adding one entry.
 */

/** What a code means and what the operator should do about it (Markdown, one sentence or two each). */
export interface ErrorCodeDoc {
  readonly meaning: string;
  readonly action: string;
}

const RETRIED = 'The window is retried with backoff;';

export const errorCodes = {
  // General
  PROMSHIP_ERROR: {
    meaning: 'An error promship raised without a more specific code.',
    action: 'Report it with the log line: every expected failure has its own code.',
  },
  PROMSHIP_CONFIG: {
    meaning:
      'The configuration is invalid; the process stopped at start with exit code 2 and one line naming the setting.',
    action: 'Fix the named setting (environment variable or flag) as the line says; see the configuration reference.',
  },

  // Runs and windows (shipper, agent)
  PROMSHIP_START_FAILED: {
    meaning:
      'A run could not start: its configuration was valid, but building the app failed (usually Prometheus unreachable while reading its external labels).',
    action: 'Check that Prometheus answers at `PROMSHIP_PROMETHEUS_URL`; the next scheduled run tries again.',
  },
  PROMSHIP_RUN_FAILED: {
    meaning:
      'The whole run failed before shipping (bucket or Prometheus unreachable, credentials) without a more specific code.',
    action: 'Read `err` in the `run failed` line; the next scheduled run tries again.',
  },
  PROMSHIP_RUN_CRASHED: {
    meaning: "A run's process died without reporting, usually killed by the container's memory limit.",
    action:
      'Look at `promship_run_peak_rss_bytes` and the output just before the line, and raise the memory limit if it is near. Its windows are retried by the next run.',
  },
  PROMSHIP_RUN_LOCKED: {
    meaning:
      "Another run (the agent's scheduled run or another `promship once`, named with its PID) holds the data dir's run lock, so this one shipped nothing.",
    action:
      'Wait for that run to end, then run `once` again if `promship status` still shows pending windows. A lock left by a killed run is taken over by the next run; do not delete `run.lock` by hand.',
  },
  PROMSHIP_RUN_LOCK_FAILED: {
    meaning: 'The run lock could not be taken or released in the data dir.',
    action: '`PROMSHIP_DATA_DIR` must be a writable directory.',
  },
  PROMSHIP_WINDOW_FAILED: {
    meaning: 'A window could not be shipped and its cause carries no more specific code.',
    action: `${RETRIED} read \`lastError\` in \`promship status\` or the \`window failed\` line.`,
  },
  PROMSHIP_WINDOW_INTERRUPTED: {
    meaning: 'A run ended while shipping this window (crashed, out of memory, killed, stopped).',
    action:
      'The window waits out a backoff like a failed one, so later windows still ship. If it repeats, look at the output of the run before `PROMSHIP_RUN_CRASHED` and at `promship_run_peak_rss_bytes`, and raise the memory limit.',
  },
  PROMSHIP_WINDOW_OVERTAKEN: {
    meaning:
      'A window kept failing until the compactor merged the blocks around it: shipping it now would overlap that block, so it is given up and its samples are missing from the bucket.',
    action:
      "Fix what made it fail (see `lastError`) and alert on `window failed` lines so a failing window is fixed within hours, before the compactor's 8h range closes over it.",
  },

  // Reading from Prometheus
  PROMSHIP_REMOTE_READ_INVALID_REQUEST: {
    meaning: 'The window or matchers of a remote read are unusable: a bug in promship.',
    action: 'Report it with the log line.',
  },
  PROMSHIP_REMOTE_READ_CREDENTIALS: {
    meaning: 'A credential file (bearer token, password, TLS key or certificate) could not be read.',
    action:
      'Check that the file named by `PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE`, `PROMSHIP_PROMETHEUS_PASSWORD_FILE` or the TLS settings exists and is readable by promship.',
  },
  PROMSHIP_REMOTE_READ_CONNECT: {
    meaning: 'No connection to Prometheus: refused, DNS failure, TLS handshake or reset.',
    action: `${RETRIED} check \`PROMSHIP_PROMETHEUS_URL\`, network policies and TLS settings.`,
  },
  PROMSHIP_REMOTE_READ_HTTP: {
    meaning: 'Prometheus answered the remote read with a non-2xx status.',
    action: `${RETRIED} 401/403 means the bearer token or basic-auth files are wrong; 5xx, read Prometheus' logs.`,
  },
  PROMSHIP_REMOTE_READ_TIMEOUT: {
    meaning: 'Connecting, waiting for headers or waiting for the next body bytes took longer than allowed.',
    action: `${RETRIED} if it repeats, Prometheus is overloaded or far away: raise \`PROMSHIP_PROMETHEUS_TIMEOUT\`.`,
  },
  PROMSHIP_REMOTE_READ_ABORTED: {
    meaning: 'The read was stopped because the run was stopped (shutdown).',
    action: 'Nothing: the window is shipped by the next run.',
  },
  PROMSHIP_REMOTE_READ_CONTENT_TYPE: {
    meaning: 'The answer is neither the streamed nor the sampled remote-read format.',
    action: 'Check that `PROMSHIP_PROMETHEUS_URL` points at Prometheus itself, not at a proxy or login page.',
  },
  PROMSHIP_REMOTE_READ_FRAME_CRC: {
    meaning: "A frame's CRC32C does not match its bytes: the answer was corrupted on the way.",
    action: `${RETRIED} look for a proxy in between and at Prometheus' logs.`,
  },
  PROMSHIP_REMOTE_READ_FRAME_TOO_LARGE: {
    meaning: 'A frame announces more bytes than allowed (one series larger than 64 MiB in one frame).',
    action: 'Check `--storage.remote.read-max-bytes-in-frame` on Prometheus.',
  },
  PROMSHIP_REMOTE_READ_TRUNCATED: {
    meaning: 'The answer ended in the middle of a frame (Prometheus restarted, ran out of memory, or a proxy cut it).',
    action: `${RETRIED} look at Prometheus' logs if it repeats.`,
  },
  PROMSHIP_REMOTE_READ_DECODE: {
    meaning: 'Bytes inside a valid frame are not the protobuf message they should be.',
    action: `${RETRIED} if it repeats for the same window, report it with the log line.`,
  },
  PROMSHIP_REMOTE_READ_STREAM_ERROR: {
    meaning: 'Prometheus hit an error after it had sent status 200 and wrote the error text into the answer.',
    action: `${RETRIED} the text quoted in the error says what failed in Prometheus (often memory or a limit).`,
  },
  PROMSHIP_REMOTE_READ_CONFIG: {
    meaning: "`/api/v1/status/config` did not yield Prometheus' configuration (its external labels).",
    action:
      'Check that `PROMSHIP_PROMETHEUS_URL` points at Prometheus and that the API is reachable with the same credentials.',
  },

  // Building blocks (TSDB)
  PROMSHIP_TSDB: {
    meaning: 'Encoding TSDB data failed without a more specific code.',
    action: 'Report it with the log line.',
  },
  PROMSHIP_TSDB_XOR_CORRUPT: {
    meaning: 'XOR chunk bytes cannot be decoded: truncated, garbage or timestamps out of order.',
    action: `${RETRIED} if it repeats for the same window, report it with the window.`,
  },
  PROMSHIP_TSDB_XOR_CAPACITY: {
    meaning: 'More samples than one XOR chunk can hold (65535): a bug in promship.',
    action: 'Report it with the window.',
  },
  PROMSHIP_TSDB_SAMPLE_ORDER: {
    meaning: "A series' sample timestamps are not strictly increasing.",
    action: `${RETRIED} if it repeats for the same window, report it with the window.`,
  },
  PROMSHIP_TSDB_TIMESTAMP_RANGE: {
    meaning: 'A timestamp is not a safe integer number of milliseconds.',
    action: 'Report it with the window.',
  },
  PROMSHIP_TSDB_CHUNK_ORDER: {
    meaning: "A series' chunks overlap or are not in time order.",
    action: `${RETRIED} if it repeats for the same window, report it with the window.`,
  },
  PROMSHIP_TSDB_HISTOGRAM_EDGE: {
    meaning: 'A native-histogram chunk crosses a window edge and cannot be cut.',
    action: 'Use `PROMSHIP_BLOCK_DURATION=2h`, so windows end where Prometheus cuts its chunks.',
  },
  PROMSHIP_TSDB_CHUNK_ENCODING: {
    meaning: 'Prometheus sent a chunk encoding promship does not know.',
    action: 'Report it with the Prometheus version; a newer promship may support it.',
  },
  PROMSHIP_TSDB_WINDOW: {
    meaning: 'A time window whose end is not after its start, or whose bounds are not integers: a bug in promship.',
    action: 'Report it with the log line.',
  },
  PROMSHIP_TSDB_INVALID_LABELS: {
    meaning: 'A label set cannot be indexed: empty, unsorted, duplicate or empty names or values.',
    action: 'Report it with the window and the series named in the message.',
  },
  PROMSHIP_TSDB_INVALID_CHUNK: {
    meaning: 'A chunk lies outside the block, has inverted times or unusable bytes.',
    action: 'Report it with the window.',
  },
  PROMSHIP_TSDB_DUPLICATE_SERIES: {
    meaning: 'Two series of a window have the same labels; from Prometheus this cannot happen.',
    action: 'Report it with the window.',
  },
  PROMSHIP_TSDB_WRITER_STATE: {
    meaning: 'The block writer was used out of order: a bug in promship.',
    action: 'Report it with the log line.',
  },
  PROMSHIP_TSDB_WRITE: {
    meaning: 'Writing a block to the local data dir failed (full, not writable, I/O error). Nothing was uploaded.',
    action: `${RETRIED} give \`PROMSHIP_DATA_DIR\` room for one block (the Helm chart's \`dataVolume.sizeLimit\`) and make it writable.`,
  },
  PROMSHIP_TSDB_CORRUPT_BLOCK: {
    meaning:
      'A block on disk or in the bucket does not follow the TSDB format; the message names the file and the defect.',
    action: 'For a block promship built, report it; for another block, check what wrote it.',
  },
  PROMSHIP_TSDB_INVALID_META: {
    meaning: 'A `meta.json` that Prometheus or Thanos would not accept.',
    action: 'For a block promship built, report it; for another block, check what wrote it.',
  },

  // Storing blocks (bucket)
  PROMSHIP_BUCKET_ACCESS_DENIED: {
    meaning: 'The store rejected the credentials or the identity lacks permission.',
    action:
      'Fix the credentials or the IAM policy: it needs `s3:PutObject`, `GetObject`, `ListBucket` and `DeleteObject` on the bucket and prefix (for a `file://` bucket, write permission on the directory).',
  },
  PROMSHIP_BUCKET_NO_CREDENTIALS: {
    meaning: 'No credentials could be found (static keys, environment, web identity, container or instance role).',
    action:
      'Give promship credentials through the standard AWS chain (e.g. IRSA, or `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`).',
  },
  PROMSHIP_BUCKET_NOT_FOUND: {
    meaning: 'The bucket does not exist.',
    action: 'Check the bucket name and region (`PROMSHIP_BUCKET`, `PROMSHIP_S3_REGION` or the objstore YAML).',
  },
  PROMSHIP_BUCKET_UNREACHABLE: {
    meaning: 'No connection to the store could be made (refused, DNS failure, reset).',
    action: `${RETRIED} check the endpoint and network policies.`,
  },
  PROMSHIP_BUCKET_TIMEOUT: {
    meaning: 'Connected, but the store did not answer in time.',
    action: `${RETRIED} if it repeats, raise \`PROMSHIP_S3_REQUEST_TIMEOUT\`.`,
  },
  PROMSHIP_BUCKET_SERVER_ERROR: {
    meaning: "The store answered 5xx or throttled (429, SlowDown) after the client's own retries.",
    action: `${RETRIED} if it persists, check the store's health and request limits.`,
  },
  PROMSHIP_BUCKET_REQUEST: {
    meaning: 'The store rejected the request for another reason (4xx), or a `file://` bucket operation failed.',
    action: 'Read the message: it quotes what the store said.',
  },
  PROMSHIP_BUCKET_ABORTED: {
    meaning: 'A bucket operation was stopped because the run was stopped.',
    action: 'Nothing: no block was published and the window is shipped by the next run.',
  },
  PROMSHIP_BUCKET_SIZE_MISMATCH: {
    meaning:
      'The stored object has a different size than was sent: the store altered the bytes. The block was not published.',
    action:
      'Often aws-chunked bodies on S3-compatible stores: set `PROMSHIP_S3_CHECKSUM_MODE=when-required`. The window is retried.',
  },
  PROMSHIP_BUCKET_VERIFY_SIZE: {
    meaning:
      'After uploading a block, an object has a different size than the local file (or vanished). The block was not published.',
    action:
      'Often aws-chunked bodies on S3-compatible stores: set `PROMSHIP_S3_CHECKSUM_MODE=when-required`; check that nothing else writes under the prefix. The window is retried.',
  },
  PROMSHIP_BUCKET_BAD_KEY: {
    meaning: 'A key promship built is not usable as an object key: a bug in promship.',
    action: 'Report it with the log line.',
  },
  PROMSHIP_BUCKET_LOCAL_FILE: {
    meaning: 'A local file could not be read for an upload (a block file) or written for a download (`verify`).',
    action: `${RETRIED} check that \`PROMSHIP_DATA_DIR\` is not cleaned by something else while promship runs; for \`verify\`, that the temporary directory (\`TMPDIR\`, else /tmp) has room.`,
  },
  PROMSHIP_BUCKET_FULL: {
    meaning: "The `file://` bucket's filesystem is full.",
    action: `${RETRIED} free space there.`,
  },
  PROMSHIP_BUCKET_BLOCK_PUBLISHED: {
    meaning: 'A block already has `meta.json` in the bucket and must not be rewritten.',
    action: 'Nothing is overwritten. If it repeats, check that no other uploader uses the same cluster id and prefix.',
  },
  PROMSHIP_BUCKET_CHECKSUM_MISMATCH: {
    meaning:
      "The store's checksum of an upload (GCS crc32c/md5Hash, Azure Content-MD5) differs from the bytes sent: the store or something on the way altered them. The object was deleted and the block not published.",
    action: `${RETRIED} if it repeats, look for a proxy in the path that alters request bodies.`,
  },
  PROMSHIP_BUCKET_NO_CONDITIONAL_WRITES: {
    meaning:
      'A warning: the store ignores conditional writes (`If-None-Match: *`), so window claims cannot be exclusive and promship re-checks the bucket right before `meta.json` instead; a small race remains between two agents of one cluster id.',
    action:
      'Nothing, with one agent per cluster id. See docs/one-writer.md for which stores keep the race and how small it is.',
  },

  // One writer per window
  PROMSHIP_CLUSTER_ID_IN_USE: {
    meaning:
      "Another live instance (another data dir) ships this cluster's labels: this agent stopped shipping, `/readyz` answers 503 and `promship_cluster_id_in_use` is 1.",
    action:
      'Two clusters (or two pods) share one cluster id: give each cluster its own id, or stop the extra agent (docs/one-writer.md).',
  },
  PROMSHIP_CLUSTER_ID_DEFAULT: {
    meaning:
      "A warning at start: the cluster id is `cluster-one`, the Kubecost Helm chart's default, which other clusters may keep too.",
    action: 'Set a cluster id of its own for every cluster before a second one ships with the default.',
  },
  PROMSHIP_WINDOW_CLAIM_LOST: {
    meaning:
      "Another instance claimed the window first (or took this agent's stale claim over); this agent removed its partial objects and did not publish.",
    action: 'Nothing for one restart; if it repeats, two agents ship one cluster id (see PROMSHIP_CLUSTER_ID_IN_USE).',
  },
  PROMSHIP_WINDOW_CLAIM_TAKEN_OVER: {
    meaning:
      "A note: a window's claim by another instance was older than `PROMSHIP_CLAIM_TIMEOUT` with no block published, so it counted as a dead agent's and this agent took the window over.",
    action:
      'Nothing: the window is shipped once. Frequent takeovers mean `PROMSHIP_CLAIM_TIMEOUT` is shorter than a window takes to ship.',
  },

  // Fleet health
  PROMSHIP_HEARTBEAT_FAILED: {
    meaning:
      "A warning: the run's heartbeat (`promship/<cluster>/heartbeat.json`) could not be written; the run's result stands.",
    action:
      "Check the bucket's write permission under `promship/`; `promship fleet` shows this agent as stale until a heartbeat lands.",
  },
  PROMSHIP_FLEET_REFRESH_FAILED: {
    meaning: '`promship fleet serve` could not read the bucket for a refresh and serves its last view.',
    action:
      "Check the fleet view's bucket credentials and network; `promship_fleet_refresh_errors_total` counts these.",
  },
} satisfies Record<`PROMSHIP_${string}`, ErrorCodeDoc>;

/** A registered code: using any other string where an `ErrorCode` is expected is a type error. */
export type ErrorCode = keyof typeof errorCodes;

/** Whether `code` is registered (for codes read back from disk or another process). */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCodes, code);
}
