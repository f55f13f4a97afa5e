/**
 * Reads the Thanos objstore YAML people already have (e.g. the `object-store.yaml` key of
 * Kubecost's `kubecost-thanos` secret), following thanos-io/objstore `client/factory.go`,
 * `providers/s3/s3.go` and `providers/filesystem`:
 * - top level `type` (case-insensitive), `config`, `prefix`; unknown keys are errors, as in Thanos'
 *   strict YAML decoding;
 * - valid Thanos keys promship does not act on become warnings that name them;
 * - nothing a user wrote as a value is ever echoed in an error (values may be secrets).
 *
 * Scalars are read as the raw text the user wrote (YAML failsafe schema), like Go's yaml.v2
 * decoding into a string field, so a secret such as `0123` or `1e5` keeps its exact spelling.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, type Document } from 'yaml';
import { z } from 'zod';
import { MAX_TIMER_MS, parseDuration } from '../config/duration.ts';
import { ConfigError } from '../errors.ts';
import type { GcsBucketOptions, GcsServiceAccount } from './gcs-bucket.ts';
import type { AzureBucketOptions } from './azure-options.ts';
import { parseAzure } from './objstore-azure.ts';
import type { S3BucketOptions } from './s3-bucket.ts';
import { MAX_PART_SIZE_BYTES, MIN_PART_SIZE_BYTES } from './s3-part-size.ts';
import { resolveS3Endpoint, type S3EndpointChoice } from './s3-settings.ts';
import { splitUserMetadata } from './s3-user-metadata.ts';

export type ObjstoreBucket =
  | { kind: 's3'; options: S3BucketOptions }
  | { kind: 'gcs'; options: GcsBucketOptions }
  | { kind: 'azure'; options: AzureBucketOptions }
  | { kind: 'filesystem'; dir: string; prefix?: string };

export interface ParsedObjstoreConfig {
  bucket: ObjstoreBucket;
  /** One line per setting that is valid for Thanos but ignored by promship; log them. */
  warnings: string[];
  /**
   * For S3, what the YAML says about the endpoint, so that openBucket can resolve it again with
   * the `PROMSHIP_S3_*` settings and the process' AWS region layered on, by the same rules.
   */
  s3Endpoint?: S3EndpointChoice;
}

const SUPPORTED_TYPES = ['S3', 'GCS', 'AZURE', 'FILESYSTEM'] as const;
const OTHER_THANOS_TYPES = ['SWIFT', 'COS', 'ALIYUNOSS', 'BOS', 'OCI', 'OBS'];

// ---- raw YAML -----------------------------------------------------------------------------

type Raw = string | null | Raw[] | { [key: string]: Raw };

const YAML_NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

/**
 * Aliases are expanded here rather than by yaml's toJS, so the limits toJS keeps are ours to
 * keep (found by test/fuzz): an anchor that contains an alias to itself (`&a [*a]`) recursed until
 * the stack overflowed, and nested aliases ("billion laughs") grew exponentially and hung. A real
 * objstore config holds a few dozen values.
 */
const MAX_RAW_VALUES = 10_000;

function toRaw(root: unknown, doc: Document, source: string): Raw {
  let values = 0;
  const expanding = new Set<unknown>();
  const targets = new Map<unknown, unknown>();
  const walk = (node: unknown): Raw => {
    if (++values > MAX_RAW_VALUES) {
      fail(
        source,
        `expands to more than ${MAX_RAW_VALUES} values (aliases of aliases?); write the settings out plainly`,
      );
    }
    if (isAlias(node)) {
      // resolve() searches the whole document each time; once per alias node is enough.
      let target = targets.get(node);
      if (target === undefined) {
        target = node.resolve(doc);
        targets.set(node, target);
      }
      if (expanding.has(target))
        fail(source, 'has an alias inside the node it refers to (e.g. `&a [*a]`); remove the loop');
      expanding.add(target);
      try {
        return walk(target);
      } finally {
        expanding.delete(target);
      }
    }
    if (isMap(node)) {
      const out: { [key: string]: Raw } = {};
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        // defineProperty: a key named `__proto__` must stay a key (and be reported as unknown),
        // not replace the object's prototype.
        Object.defineProperty(out, key, {
          value: walk(pair.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item) => walk(item));
    if (isScalar(node)) {
      const text = String(node.value);
      const plain = node.type === Scalar.PLAIN || node.type === undefined;
      return plain && YAML_NULLS.has(text) ? null : text;
    }
    return null;
  };
  return walk(root);
}

// ---- value schemas (raw text in, typed value out; messages never quote the value) ------------

/** Absent or YAML null → undefined, so every field is optional like a Go zero value. */
function opt<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null ? undefined : v), schema.optional());
}

const YAML11_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const YAML11_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

export const bool = opt(
  z.preprocess(
    (v) =>
      typeof v === 'string' && YAML11_TRUE.has(v) ? true : typeof v === 'string' && YAML11_FALSE.has(v) ? false : v,
    z.boolean({ error: 'must be true or false' }),
  ),
);

/**
 * A whole number as Thanos' YAML library (gopkg.in/yaml.v2) reads one: every `_` dropped, then
 * Go's strconv.ParseInt with base 0, so `0x`, `0o` and `0b` prefixes count, and a leading `0`
 * means octal (`010` is 8). Anything else is left for the schema to refuse.
 */
function goInt(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const m = /^([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]+)|([1-9][0-9]*|0))$/.exec(
    v.replace(/_/g, ''),
  );
  if (m === null) return v;
  const [, sign, hex, octal, binary, leadingZeroOctal, decimal] = m;
  const n =
    hex !== undefined
      ? parseInt(hex, 16)
      : octal !== undefined
        ? parseInt(octal, 8)
        : binary !== undefined
          ? parseInt(binary, 2)
          : leadingZeroOctal !== undefined
            ? parseInt(leadingZeroOctal, 8)
            : Number(decimal);
  return sign === '-' ? -n : n;
}

const uint = opt(
  z.preprocess(
    goInt,
    z.number({ error: 'must be a whole number' }).int().nonnegative({ error: 'must not be negative' }),
  ),
);

export const int = opt(z.preprocess(goInt, z.number({ error: 'must be a whole number' }).int()));

export const str = opt(z.string({ error: 'must be a string' }));

export const durationMs = opt(
  z.preprocess(
    (v) => (typeof v === 'string' ? (parseDuration(v) ?? v) : v),
    z.number({ error: 'must be a duration like 90s, 2m or 1h30m' }),
  ),
);

const stringMap = opt(
  z.record(
    z.string(),
    z.preprocess((v) => (v === null ? '' : v), z.string({ error: 'values must be strings' })),
  ),
);

const tlsConfigSchema = z.strictObject({
  ca_file: str,
  cert_file: str,
  key_file: str,
  server_name: str,
  insecure_skip_verify: bool,
});

export const httpConfigSchema = z.strictObject({
  idle_conn_timeout: durationMs,
  response_header_timeout: durationMs,
  insecure_skip_verify: bool,
  tls_handshake_timeout: durationMs,
  expect_continue_timeout: durationMs,
  max_idle_conns: int,
  max_idle_conns_per_host: int,
  max_conns_per_host: int,
  tls_config: opt(tlsConfigSchema),
  disable_compression: bool,
});

const s3ConfigSchema = z.strictObject({
  bucket: str,
  endpoint: str,
  region: str,
  disable_dualstack: bool,
  aws_sdk_auth: bool,
  access_key: str,
  insecure: bool,
  signature_version2: bool,
  secret_key: str,
  session_token: str,
  put_user_metadata: stringMap,
  http_config: opt(httpConfigSchema),
  trace: opt(z.strictObject({ enable: bool })),
  list_objects_version: str,
  bucket_lookup_type: opt(
    z.enum(['auto', 'virtual-hosted', 'path'], { error: 'must be auto, virtual-hosted or path' }),
  ),
  send_content_md5: bool,
  disable_multipart: bool,
  part_size: uint,
  sse_config: opt(
    z.strictObject({
      type: str,
      kms_key_id: str,
      kms_encryption_context: stringMap,
      encryption_key: str,
    }),
  ),
  sts_endpoint: str,
  max_retries: int,
});

type S3Config = z.infer<typeof s3ConfigSchema>;

const topSchema = z.strictObject({
  type: str,
  config: z.unknown().optional(),
  prefix: str,
});

// Thanos' exthttp.DefaultHTTPConfig: settings equal to these change nothing worth a warning.
export const THANOS_HTTP_DEFAULTS: Record<string, unknown> = {
  idle_conn_timeout: 90_000,
  tls_handshake_timeout: 10_000,
  expect_continue_timeout: 1_000,
  max_idle_conns: 100,
  max_idle_conns_per_host: 100,
  max_conns_per_host: 0,
  disable_compression: false,
  insecure_skip_verify: false,
};

// ---- errors -----------------------------------------------------------------------------

export function fail(source: string, message: string): never {
  throw new ConfigError(`objstore config ${source}: ${message}`);
}

/**
 * Keys and the store type are quoted in messages; they may hold newlines or be very long after a
 * bad edit (found by test/fuzz), and a ConfigError must stay one readable line.
 */
function oneLine(text: string): string {
  const cut = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(cut).slice(1, -1);
}

function pathText(base: string, path: readonly PropertyKey[]): string {
  return [base, ...path.map((p) => oneLine(String(p)))].filter((p) => p.length > 0).join('.');
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, base: string, source: string, what: string): T {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const lines = res.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = pathText(base, issue.path);
      return issue.keys
        .map(
          (k) =>
            `unknown key "${where ? `${where}.` : ''}${oneLine(k)}" (Thanos rejects it too); check its spelling ` +
            `against the Thanos ${what} object storage docs`,
        )
        .join('; ');
    }
    const where = pathText(base, issue.path) || 'the document';
    const message = issue.code === 'invalid_type' && issue.expected === 'object' ? 'must be a mapping' : issue.message;
    return `${where} ${message}`;
  });
  return fail(source, lines.join('; '));
}

// ---- entry point --------------------------------------------------------------------------

/**
 * Parses Thanos objstore YAML. `source` names the file (or secret key) in messages.
 * Throws `ConfigError` for anything Thanos would reject, for unsupported store types and for
 * SSE-C; returns warnings for valid settings promship ignores.
 */
export function parseObjstoreConfig(yamlText: string, source: string): ParsedObjstoreConfig {
  const doc = parseDocument(yamlText, { schema: 'failsafe', uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    // YAML error messages quote the offending line, which may hold a secret: position only.
    const e = doc.errors[0]!;
    const at = e.linePos?.[0];
    fail(
      source,
      `is not valid YAML (${e.code}${at ? ` at line ${at.line}, column ${at.col}` : ''}); fix the syntax there`,
    );
  }
  const raw = toRaw(doc.contents, doc, source);
  if (raw === null) fail(source, 'is empty; it needs at least `type:` and `config:`');
  const top = parseWith(topSchema, raw, '', source, 'top-level');
  const prefix = (top.prefix ?? '').replace(/^\/+|\/+$/g, '');

  if (top.type === undefined) {
    fail(source, '`type` is missing; set `type: S3` (or FILESYSTEM)');
  }
  const type = top.type.toUpperCase();
  if (!(SUPPORTED_TYPES as readonly string[]).includes(type)) {
    if (OTHER_THANOS_TYPES.includes(type)) {
      fail(
        source,
        `object store type ${type} is not supported by promship yet; supported: ${SUPPORTED_TYPES.join(', ')} ` +
          '(S3 also covers S3-compatible stores such as MinIO, Ceph RGW or GCS in interoperability mode)',
      );
    }
    fail(
      source,
      `unknown object store type "${oneLine(top.type)}"; Thanos knows ${[...SUPPORTED_TYPES, ...OTHER_THANOS_TYPES].join(', ')}` +
        ` and promship supports ${SUPPORTED_TYPES.join(', ')}`,
    );
  }
  if (type === 'FILESYSTEM') return parseFilesystem(top.config ?? null, prefix, source);
  if (type === 'GCS') return parseGcs(top.config ?? null, prefix, source);
  if (type === 'AZURE') return parseAzure(top.config ?? null, prefix, source);
  return parseS3(top.config ?? null, prefix, source);
}

function parseFilesystem(config: unknown, prefix: string, source: string): ParsedObjstoreConfig {
  const warnings: string[] = [];
  const cfg = config === null ? {} : config;
  if (typeof cfg !== 'object' || Array.isArray(cfg)) fail(source, 'config must be a mapping');
  // Thanos decodes this block leniently (not strictly), so extra keys only earn a warning.
  const { directory, ...rest } = cfg as Record<string, unknown>;
  for (const k of Object.keys(rest)) warnings.push(`${source}: config.${k} is not a FILESYSTEM setting and is ignored`);
  const dir = parseWith(str, directory ?? null, 'config.directory', source, 'FILESYSTEM');
  if (dir === undefined || dir.length === 0) {
    fail(source, 'config.directory is missing; set it to the directory that holds the blocks');
  }
  return { bucket: { kind: 'filesystem', dir, ...(prefix ? { prefix } : {}) }, warnings };
}

function parseS3(config: unknown, prefix: string, source: string): ParsedObjstoreConfig {
  const c: S3Config = parseWith(s3ConfigSchema, config ?? {}, 'config', source, 'S3');
  const warnings: string[] = [];
  const warn = (key: string, why: string): void => {
    warnings.push(`${source}: config.${key} ${why}`);
  };

  const bucket = c.bucket ?? '';
  if (bucket.length === 0) fail(source, 'config.bucket is missing; set the bucket name');
  const endpoint = c.endpoint ?? '';
  if (endpoint.length === 0) {
    fail(
      source,
      'config.endpoint is missing (Thanos requires it too); e.g. s3.us-east-1.amazonaws.com or minio.example:9000',
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) || endpoint.includes('/')) {
    fail(
      source,
      'config.endpoint must be host[:port] without scheme or path, as Thanos expects; use `insecure: true` for http',
    );
  }

  const accessKey = c.access_key ?? '';
  const secretKey = c.secret_key ?? '';
  if (c.aws_sdk_auth === true && accessKey !== '') {
    fail(source, 'config.aws_sdk_auth and config.access_key are mutually exclusive; keep one');
  }
  if (accessKey !== '' && secretKey === '') {
    fail(
      source,
      'config.access_key is set but config.secret_key is not; set both, or neither to use env vars / IAM roles',
    );
  }
  if (accessKey === '' && secretKey !== '') {
    fail(
      source,
      'config.secret_key is set but config.access_key is not; set both, or neither to use env vars / IAM roles',
    );
  }

  const options: S3BucketOptions = { bucket };
  if (prefix) options.prefix = prefix;

  // Region, addressing and checksums follow from the endpoint by the rules both routes share.
  // The process' AWS_REGION and the PROMSHIP_S3_* settings are layered on by openBucket.
  const endpointChoice: S3EndpointChoice = {
    endpoint,
    insecure: c.insecure === true,
    region: c.region,
    bucketLookup: c.bucket_lookup_type ?? 'auto',
    checksumMode: 'auto',
    environmentRegion: undefined,
  };
  Object.assign(options, resolveS3Endpoint(endpointChoice));

  if (accessKey !== '') {
    options.accessKeyId = accessKey;
    options.secretAccessKey = secretKey;
    if (c.session_token) options.sessionToken = c.session_token;
  } else if (c.session_token) {
    warn('session_token', 'is ignored because access_key is not set (Thanos ignores it then too)');
  }

  if (c.part_size !== undefined && c.part_size > 0) {
    if (c.part_size < MIN_PART_SIZE_BYTES) {
      warn('part_size', `is below S3's 5 MiB minimum part size; promship uses ${MIN_PART_SIZE_BYTES}`);
      options.partSizeBytes = MIN_PART_SIZE_BYTES;
    } else if (c.part_size > MAX_PART_SIZE_BYTES) {
      // Each part is held in memory while it is sent, several at once: Kubecost's 128 MiB would
      // take over 512 MiB, the chart's whole memory limit. Smaller parts cost nothing else.
      warn(
        'part_size',
        `${c.part_size} is lowered to ${MAX_PART_SIZE_BYTES} (16 MiB) to bound memory: promship holds ` +
          'about 4 parts in memory at once; Thanos keeps using the configured size',
      );
      options.partSizeBytes = MAX_PART_SIZE_BYTES;
    } else {
      options.partSizeBytes = c.part_size;
    }
  }
  if (c.max_retries !== undefined && c.max_retries > 0) options.maxAttempts = c.max_retries;

  const sse = c.sse_config;
  const sseType = sse?.type ?? '';
  if (sseType === 'SSE-S3') {
    options.sse = { type: 'SSE-S3' };
  } else if (sseType === 'SSE-KMS') {
    if (!sse?.kms_key_id) fail(source, "config.sse_config.kms_key_id must be set when sse_config.type is 'SSE-KMS'");
    options.sse = {
      type: 'SSE-KMS',
      kmsKeyId: sse.kms_key_id,
      ...(sse.kms_encryption_context && Object.keys(sse.kms_encryption_context).length > 0
        ? { encryptionContext: sse.kms_encryption_context }
        : {}),
    };
  } else if (sseType === 'SSE-C') {
    fail(
      source,
      'config.sse_config.type SSE-C (customer-provided keys) is not supported by promship; use SSE-S3 or SSE-KMS',
    );
  } else if (sseType !== '') {
    fail(source, 'config.sse_config.type is not supported; supported types are SSE-S3, SSE-KMS (and SSE-C in Thanos)');
  }

  const lov = c.list_objects_version ?? '';
  if (lov !== '' && lov !== 'v1' && lov !== 'v2') {
    fail(source, 'config.list_objects_version must be v1 or v2');
  }
  if (lov === 'v1') warn('list_objects_version', 'v1 is ignored; promship always lists with ListObjectsV2');

  if (c.signature_version2 === true) warn('signature_version2', 'is ignored; promship always signs with SigV4');
  if (c.put_user_metadata && Object.keys(c.put_user_metadata).length > 0) {
    const { unsupported } = splitUserMetadata(c.put_user_metadata);
    const kept = Object.fromEntries(Object.entries(c.put_user_metadata).filter(([k]) => !unsupported.includes(k)));
    if (Object.keys(kept).length > 0) options.putUserMetadata = kept;
    for (const k of unsupported) warn(`put_user_metadata.${k}`, 'is not supported and is ignored');
  }
  if (c.trace?.enable === true) warn('trace.enable', 'is not supported and is ignored');
  if (c.disable_multipart === true) warn('disable_multipart', 'is ignored; large files are uploaded in parts');
  if (c.sts_endpoint) warn('sts_endpoint', "is ignored; the AWS SDK's default STS endpoint is used");
  if (c.send_content_md5 === false) {
    // Nothing to do: promship never sends Content-MD5; the setting only matters to Thanos.
  }

  const http = c.http_config;
  if (http !== undefined) {
    if (http.response_header_timeout !== undefined && http.response_header_timeout > 0) {
      // Thanos takes any Go duration here, and a Kubecost secret that works for Thanos must work
      // here too: a timeout longer than a Node.js timer holds (~24.8 days) means "practically
      // none", so it is clamped to that rather than rejected (Node would cut it with a warning).
      options.requestTimeoutMs = Math.min(http.response_header_timeout, MAX_TIMER_MS);
    }
    for (const [key, value] of Object.entries(http)) {
      if (key === 'response_header_timeout' || key === 'tls_config') continue;
      if (THANOS_HTTP_DEFAULTS[key] === value) continue;
      warn(`http_config.${key}`, 'is not supported and is ignored');
    }
    for (const [key, value] of Object.entries(http.tls_config ?? {})) {
      if (value === '' || value === false) continue;
      warn(`http_config.tls_config.${key}`, "is not supported and is ignored; the system's CA certificates are used");
    }
  }

  return { bucket: { kind: 's3', options }, warnings, s3Endpoint: endpointChoice };
}

// ---- GCS (thanos-io/objstore providers/gcs) ---------------------------------------------------

const gcsConfigSchema = z.strictObject({
  bucket: str,
  service_account: str,
  use_grpc: bool,
  grpc_conn_pool_size: int,
  http_config: opt(httpConfigSchema),
  chunk_size_bytes: int,
  max_retries: int,
});

/**
 * Thanos' GCS config: `bucket` (required), `service_account` (a credentials JSON inline; else
 * Application Default Credentials), `max_retries` (attempts, as Go's WithMaxAttempts),
 * `chunk_size_bytes` (resumable chunks) and `http_config.response_header_timeout` are used; gRPC
 * settings only earn a warning.
 */
function parseGcs(config: unknown, prefix: string, source: string): ParsedObjstoreConfig {
  const c = parseWith(gcsConfigSchema, config ?? {}, 'config', source, 'GCS');
  const warnings: string[] = [];
  const warn = (key: string, why: string): void => {
    warnings.push(`${source}: config.${key} ${why}`);
  };
  const bucket = c.bucket ?? '';
  if (bucket.length === 0) fail(source, 'config.bucket is missing; set the GCS bucket name');
  const options: GcsBucketOptions = { bucket };
  if (prefix) options.prefix = prefix;
  if (c.service_account !== undefined && c.service_account.trim() !== '') {
    options.serviceAccount = parseServiceAccount(c.service_account, source);
  }
  if (c.max_retries !== undefined && c.max_retries > 0) options.maxAttempts = c.max_retries;
  if (c.use_grpc === true) warn('use_grpc', 'is ignored; promship uses the JSON API over HTTPS');
  if (c.grpc_conn_pool_size !== undefined && c.grpc_conn_pool_size !== 0)
    warn('grpc_conn_pool_size', 'is ignored; promship does not use gRPC');
  if (c.chunk_size_bytes !== undefined && c.chunk_size_bytes > 0) {
    // Each chunk is held in memory until the store confirms it, two uploads at once.
    if (c.chunk_size_bytes > MAX_PART_SIZE_BYTES) {
      warn('chunk_size_bytes', `${c.chunk_size_bytes} is lowered to ${MAX_PART_SIZE_BYTES} (16 MiB) to bound memory`);
      options.chunkSizeBytes = MAX_PART_SIZE_BYTES;
    } else {
      options.chunkSizeBytes = c.chunk_size_bytes;
    }
  }
  const http = c.http_config;
  if (http !== undefined) {
    if (http.response_header_timeout !== undefined && http.response_header_timeout > 0) {
      options.requestTimeoutMs = Math.min(http.response_header_timeout, MAX_TIMER_MS);
    }
    for (const [key, value] of Object.entries(http) as [string, unknown][]) {
      if (key === 'response_header_timeout' || key === 'tls_config' || value === undefined) continue;
      if (THANOS_HTTP_DEFAULTS[key] === value) continue;
      warn(`http_config.${key}`, 'is not supported and is ignored');
    }
    for (const [key, value] of Object.entries(http.tls_config ?? {}) as [string, unknown][]) {
      if (value === undefined || value === '' || value === false) continue;
      warn(`http_config.tls_config.${key}`, "is not supported and is ignored; the system's CA certificates are used");
    }
  }
  return { bucket: { kind: 'gcs', options }, warnings };
}

/** The inline credentials JSON; messages name the key, never its content (it holds a private key). */
function parseServiceAccount(text: string, source: string): GcsServiceAccount {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail(source, 'config.service_account is not valid JSON; paste the whole service-account key file there');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(source, 'config.service_account must be a JSON object (a service-account key file)');
  }
  const sa = value as Record<string, unknown>;
  if (typeof sa.type !== 'string' || sa.type === '') {
    fail(source, 'config.service_account has no "type"; paste the whole service-account key file there');
  }
  if (sa.type === 'service_account') {
    for (const field of ['client_email', 'private_key'] as const) {
      if (typeof sa[field] !== 'string' || sa[field] === '') {
        fail(source, `config.service_account has no "${field}"; paste the whole service-account key file there`);
      }
    }
  }
  return sa as GcsServiceAccount;
}
