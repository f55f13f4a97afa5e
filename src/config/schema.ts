/**
 * The one declaration of every setting: environment variable, command-line flag, default, help
 * text and validation. `--help`, docs/configuration.md and the Helm chart's env
 * list are all derived from (or checked against) this table, so they cannot drift apart.
 */
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.ts';
import { missedWindow } from './schedule-horizon.ts';

export interface OptionSpec<T> {
  env: string;
  flag: string;
  /** Shown in help and docs; the default is parsed like user input. */
  default?: string;
  description: string;
  /** A secret's value is never echoed in errors, logs or help. */
  secret?: boolean;
  /**
   * A path to a file promship reads: when set, it must name a readable file at start. Only that
   * is checked, never the contents, which are read where they are used (token and password files
   * on every request, so a rotated secret is picked up without a restart).
   */
  file?: boolean;
  group: 'prometheus' | 'cluster' | 'bucket' | 'shipping' | 'daemon' | 'fleet' | 'logging';
  schema: z.ZodType<T, string>;
}

function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

const duration = (check?: (ms: number) => string | undefined) =>
  z.string().transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `'${s}' is not a duration like 30s, 15m, 2h or 7d` });
      return z.NEVER;
    }
    const problem = check?.(ms);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return ms;
  });

/**
 * The longest value of a setting that becomes a Node.js timer (setTimeout, setInterval, a socket or
 * HTTP-client timeout): a round 24d, just under the longest delay a timer holds (MAX_TIMER_MS,
 * about 24.8 days). A longer one would not wait at all: Node fires it after 1 ms.
 */
const TIMER_LIMIT = { ms: 24 * 86_400_000, text: '24d' } as const;

/** A duration that becomes a timer: from `min` (ms, and as written) up to TIMER_LIMIT. */
const timerDuration = (minMs: number, min: string) =>
  duration((ms) =>
    ms < minMs
      ? `must be at least ${min}`
      : ms > TIMER_LIMIT.ms
        ? `must be at most ${TIMER_LIMIT.text}, the longest a Node.js timer can wait`
        : undefined,
  );

const bool = z.string().transform((s, ctx) => {
  const v = s.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  ctx.addIssue({ code: 'custom', message: `'${s}' is not a boolean (true or false)` });
  return z.NEVER;
});

const optionalString = z.string().transform((s) => (s.trim() === '' ? undefined : s.trim()));

/**
 * A URL setting as an error may quote it: not at all when it has an `@`, which may end
 * credentials (`user:password@host`); the start-up line is printed and kept in the pod's log.
 */
function shown(text: string): string {
  return text.includes('@') ? 'the value (not shown: it may hold credentials)' : `'${text}'`;
}

const httpUrl = z.string().transform((s, ctx) => {
  try {
    const u = new URL(s);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    if (u.username || u.password) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not contain credentials; use the username and password file settings',
      });
      return z.NEVER;
    }
    // Request paths are appended to this base, which a query or fragment cannot take; the client
    // refused it too, but naming no setting. Not quoted: a query may carry a token.
    if (u.search !== '' || u.hash !== '') {
      ctx.addIssue({
        code: 'custom',
        message:
          'must not have a query (?…) or fragment (#…); give the base URL only, like http://prometheus:9090 or https://host/prometheus',
      });
      return z.NEVER;
    }
    // Without the empty `?` or `#` the URL parser leaves in place.
    return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
  } catch {
    ctx.addIssue({ code: 'custom', message: `${shown(s)} is not an http(s) URL like http://prometheus:9090` });
    return z.NEVER;
  }
});

/**
 * An S3-compatible endpoint: `https://host[:port][/path]`, or `host[:port]` (https, or http with
 * the insecure setting). Checked here so a typo stops the start naming the setting instead of
 * failing every request; never quoted, and never with credentials, since the bucket's logged
 * description names the endpoint.
 */
const s3Endpoint = z.string().transform((s, ctx): string | undefined => {
  const text = s.trim();
  if (text === '') return undefined;
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not an endpoint like https://host:port or host:port' });
    return z.NEVER;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: 'must be http(s)://host[:port] or host[:port]' });
    return z.NEVER;
  }
  if (u.username || u.password) {
    ctx.addIssue({
      code: 'custom',
      message: 'must not contain credentials; give the access key and secret key as the AWS credentials instead',
    });
    return z.NEVER;
  }
  if (u.search !== '' || u.hash !== '') {
    ctx.addIssue({ code: 'custom', message: 'must not have a query (?…) or fragment (#…)' });
    return z.NEVER;
  }
  return text;
});

export type BucketLocation =
  | { kind: 'file'; dir: string }
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'gcs'; bucket: string; prefix: string }
  | { kind: 'azblob'; container: string; prefix: string };

/** `file:///abs/dir` or `s3://bucket/optional/prefix`. */
const bucketUrl = z.string().transform((s, ctx): BucketLocation | undefined => {
  const text = s.trim();
  if (text === '') return undefined;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `${shown(text)} is not a URL like s3://bucket/prefix or file:///var/lib/blocks`,
    });
    return z.NEVER;
  }
  if (u.username || u.password) {
    ctx.addIssue({ code: 'custom', message: 'must not contain credentials; use the AWS credential settings' });
    return z.NEVER;
  }
  if (u.protocol === 'file:') {
    if (u.host !== '' || !u.pathname.startsWith('/')) {
      ctx.addIssue({ code: 'custom', message: `'${text}' must be an absolute path like file:///var/lib/blocks` });
      return z.NEVER;
    }
    const dir = decodeURIComponent(u.pathname).replace(/\/+$/, '') || '/';
    return { kind: 'file', dir };
  }
  if (u.protocol === 's3:') {
    if (u.hostname === '') {
      ctx.addIssue({ code: 'custom', message: `'${text}' names no bucket; use s3://bucket/optional/prefix` });
      return z.NEVER;
    }
    const prefix = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
    return { kind: 's3', bucket: u.hostname, prefix };
  }
  if (u.protocol === 'gs:') {
    // GCS bucket names: 3-222 characters of a-z, 0-9, '-', '_' and '.', starting and ending alphanumeric.
    if (!/^[a-z0-9](?:[a-z0-9._-]{1,220})[a-z0-9]$/.test(u.hostname)) {
      ctx.addIssue({ code: 'custom', message: `'${text}' names no valid GCS bucket; use gs://bucket/optional/prefix` });
      return z.NEVER;
    }
    const prefix = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
    return { kind: 'gcs', bucket: u.hostname, prefix };
  }
  if (u.protocol === 'azblob:') {
    const container = u.hostname;
    if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(container)) {
      ctx.addIssue({
        code: 'custom',
        message: `'${text}' needs a container name of 3-63 lowercase letters, digits and hyphens: azblob://container/optional/prefix`,
      });
      return z.NEVER;
    }
    return { kind: 'azblob', container, prefix: decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '') };
  }
  ctx.addIssue({
    code: 'custom',
    message: `'${u.protocol}' buckets are not supported; use s3://, gs://, azblob:// or file://`,
  });
  return z.NEVER;
});

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * `k=v,k2=v2` as its entries, in order and with repeats; values may not contain commas (use the
 * objstore or Helm values for exotic ones).
 */
const keyValuePairs = (what: string, secret = false) =>
  z.string().transform((s, ctx) => {
    const out: [string, string][] = [];
    if (s.trim() === '') return out;
    for (const part of s.split(',')) {
      const eq = part.indexOf('=');
      const k = eq < 0 ? '' : part.slice(0, eq).trim();
      if (eq < 0 || k === '') {
        const shown = secret ? `entry ${out.length + 1}` : `'${part.trim()}'`;
        ctx.addIssue({ code: 'custom', message: `${shown} is not ${what} of the form name=value` });
        return z.NEVER;
      }
      out.push([k, part.slice(eq + 1).trim()]);
    }
    return out;
  });

/** `k=v,k2=v2` as a record; a repeated key keeps its last value. */
const keyValues = (what: string, secret = false) =>
  keyValuePairs(what, secret).transform((pairs): Record<string, string> => Object.fromEntries(pairs));

const labelPairs = keyValues('a label').transform((labels, ctx) => {
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_NAME.test(k) || k.startsWith('__')) {
      ctx.addIssue({ code: 'custom', message: `'${k}' is not a valid label name` });
      return z.NEVER;
    }
    if (v === '') {
      ctx.addIssue({ code: 'custom', message: `label '${k}' has an empty value` });
      return z.NEVER;
    }
  }
  return labels;
});

/** An HTTP token (RFC 9110): what a header name may be. */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What the HTTP client (undici, like Node's http) sends as a header value: no CR, LF or other control character but tab, nothing beyond U+00FF. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Headers PROMSHIP_PROMETHEUS_HEADERS may not set, lower-cased. promship sets the first group on
 * its requests and would silently override (or, on some requests, send) a user's value; the HTTP
 * client manages the second, and a value there would change how the request is framed or its
 * answer encoded, or undici refuses it. Host too: the URL names the server, and every message
 * quotes that URL. Authorization is allowed, for a static token, unless promship's own auth
 * settings make it (see `crossChecks`).
 */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'content-encoding',
  'content-type',
  'user-agent',
  'x-prometheus-remote-read-version',
  'accept-encoding',
  'connection',
  'content-length',
  'expect',
  'host',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Extra request headers. Entries are named by position, and only a reserved name (a well-known
 * one) is shown: the whole setting is secret, as a value may be a token and a malformed entry may
 * hold one in its name.
 */
const httpHeaders = keyValuePairs('a header', true).transform((headers, ctx): Record<string, string> => {
  const seen = new Map<string, number>();
  for (const [i, [name, value]] of headers.entries()) {
    const entry = `entry ${i + 1}`;
    if (!HTTP_TOKEN.test(name)) {
      ctx.addIssue({
        code: 'custom',
        message: `${entry} has a name that is not an HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only: no spaces, colons or other characters)`,
      });
      return z.NEVER;
    }
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) {
      ctx.addIssue({
        code: 'custom',
        message: `${entry} sets ${name}, which promship or its HTTP client sets itself; remove it`,
      });
      return z.NEVER;
    }
    const first = seen.get(lower);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${entry} repeats the name of entry ${first} (header names are case-insensitive)`,
      });
      return z.NEVER;
    }
    seen.set(lower, i + 1);
    if (!HEADER_VALUE.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `${entry} has a value with a character HTTP headers cannot carry (a control character such as CR or LF, or one beyond U+00FF)`,
      });
      return z.NEVER;
    }
  }
  return Object.fromEntries(headers);
});

const TWO_HOURS = 2 * 3_600_000;

export const options = {
  prometheusUrl: option({
    env: 'PROMSHIP_PROMETHEUS_URL',
    flag: '--prometheus-url',
    default: 'http://localhost:9090',
    group: 'prometheus',
    description:
      'Base URL of the local Prometheus (remote read at /api/v1/read), with a path prefix if any but no query or fragment.',
    schema: httpUrl,
  }),
  prometheusTimeout: option({
    env: 'PROMSHIP_PROMETHEUS_TIMEOUT',
    flag: '--prometheus-timeout',
    default: '5m',
    group: 'prometheus',
    description:
      'Longest Prometheus may stay silent: to connect, to start answering, and between two pieces of an answer (a large window may take longer in total); 1s to 24d.',
    // The HTTP client's connect, header and body timeouts. undici keeps these on a timer wheel of
    // its own, so a longer value would work today, but nothing promises that, and a silence of
    // weeks is no timeout anyone means: rejected like the other timers rather than clamped.
    schema: timerDuration(1000, '1s'),
  }),
  prometheusBearerTokenFile: option({
    env: 'PROMSHIP_PROMETHEUS_BEARER_TOKEN_FILE',
    flag: '--prometheus-bearer-token-file',
    group: 'prometheus',
    description: 'File holding a bearer token for Prometheus; re-read on every request. Not with basic auth.',
    file: true,
    schema: optionalString,
  }),
  prometheusUsername: option({
    env: 'PROMSHIP_PROMETHEUS_USERNAME',
    flag: '--prometheus-username',
    group: 'prometheus',
    description: 'Basic-auth user name for Prometheus.',
    schema: optionalString,
  }),
  prometheusPasswordFile: option({
    env: 'PROMSHIP_PROMETHEUS_PASSWORD_FILE',
    flag: '--prometheus-password-file',
    group: 'prometheus',
    description: 'File holding the basic-auth password for Prometheus; needs PROMSHIP_PROMETHEUS_USERNAME.',
    file: true,
    schema: optionalString,
  }),
  prometheusCaFile: option({
    env: 'PROMSHIP_PROMETHEUS_CA_FILE',
    flag: '--prometheus-ca-file',
    group: 'prometheus',
    description: "CA bundle (PEM) to verify Prometheus' TLS certificate.",
    file: true,
    schema: optionalString,
  }),
  prometheusCertFile: option({
    env: 'PROMSHIP_PROMETHEUS_CERT_FILE',
    flag: '--prometheus-cert-file',
    group: 'prometheus',
    description: 'Client certificate (PEM) for mutual TLS with Prometheus; needs PROMSHIP_PROMETHEUS_KEY_FILE.',
    file: true,
    schema: optionalString,
  }),
  prometheusKeyFile: option({
    env: 'PROMSHIP_PROMETHEUS_KEY_FILE',
    flag: '--prometheus-key-file',
    group: 'prometheus',
    description: 'Client key (PEM) for mutual TLS with Prometheus; needs PROMSHIP_PROMETHEUS_CERT_FILE.',
    file: true,
    schema: optionalString,
  }),
  prometheusInsecureSkipVerify: option({
    env: 'PROMSHIP_PROMETHEUS_INSECURE_SKIP_VERIFY',
    flag: '--prometheus-insecure-skip-verify',
    default: 'false',
    group: 'prometheus',
    description: "Skip verifying Prometheus' TLS certificate (testing only).",
    schema: bool,
  }),
  prometheusHeaders: option({
    env: 'PROMSHIP_PROMETHEUS_HEADERS',
    flag: '--prometheus-headers',
    default: '',
    group: 'prometheus',
    secret: true,
    description:
      'Extra HTTP headers for Prometheus requests, `Name=value,Name2=value2` (e.g. a tenant header). Not the ones promship or its HTTP client set (Content-Type, Content-Encoding, Accept, User-Agent, X-Prometheus-Remote-Read-Version, Host, Content-Length, Connection, …); Authorization only without the bearer token and basic-auth settings.',
    schema: httpHeaders,
  }),
  clusterId: option({
    env: 'PROMSHIP_CLUSTER_ID',
    flag: '--cluster-id',
    group: 'cluster',
    description:
      "This cluster's identity. Optional when Prometheus already has it as an external label; must agree with it when both are set.",
    schema: optionalString,
  }),
  clusterLabel: option({
    env: 'PROMSHIP_CLUSTER_LABEL',
    flag: '--cluster-label',
    default: 'cluster_id',
    group: 'cluster',
    description: 'Name of the external label that carries the cluster id (Kubecost: promClusterIDLabel).',
    schema: z.string().regex(LABEL_NAME, 'must be a label name like cluster_id'),
  }),
  externalLabels: option({
    env: 'PROMSHIP_EXTERNAL_LABELS',
    flag: '--external-labels',
    default: '',
    group: 'cluster',
    description:
      "More external labels for every block, `k=v,k2=v2`, added to Prometheus' own external labels; a conflict with those is an error.",
    schema: labelPairs,
  }),
  bucket: option({
    env: 'PROMSHIP_BUCKET',
    flag: '--bucket',
    group: 'bucket',
    description:
      'Where blocks go: `s3://bucket/optional/prefix`, `gs://bucket/optional/prefix` (Google Cloud Storage, Application Default Credentials), `azblob://container/optional/prefix` (Azure Blob Storage) or `file:///abs/dir` (Thanos FILESYSTEM layout).',
    schema: bucketUrl,
  }),
  objstoreConfigFile: option({
    env: 'PROMSHIP_OBJSTORE_CONFIG_FILE',
    flag: '--objstore-config-file',
    group: 'bucket',
    description:
      "A Thanos object-store YAML (`type: S3`, `GCS`, `AZURE` or `FILESYSTEM`, its `config` and `prefix`), e.g. the `object-store.yaml` key of Kubecost's `kubecost-thanos` secret. Instead of PROMSHIP_BUCKET.",
    file: true,
    schema: optionalString,
  }),
  azureAccount: option({
    env: 'PROMSHIP_AZURE_ACCOUNT',
    flag: '--azure-account',
    group: 'bucket',
    description:
      "Storage account of an `azblob://` bucket; defaults to AZURE_STORAGE_ACCOUNT. Credentials: AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY, else the SDK's DefaultAzureCredential (Workload Identity, managed identity). See docs/store-azure.md.",
    schema: optionalString,
  }),
  s3Endpoint: option({
    env: 'PROMSHIP_S3_ENDPOINT',
    flag: '--s3-endpoint',
    group: 'bucket',
    description: 'S3-compatible endpoint, `https://host[:port]` (omit for AWS S3).',
    schema: s3Endpoint,
  }),
  s3Region: option({
    env: 'PROMSHIP_S3_REGION',
    flag: '--s3-region',
    group: 'bucket',
    description:
      "The bucket's region; defaults to the region an AWS endpoint's host names (dualstack, FIPS, PrivateLink), then for AWS S3 AWS_REGION / AWS_DEFAULT_REGION, then us-east-1 (for a standard AWS endpoint with redirects to the bucket's region followed).",
    schema: optionalString,
  }),
  s3ForcePathStyle: option({
    env: 'PROMSHIP_S3_FORCE_PATH_STYLE',
    flag: '--s3-force-path-style',
    default: 'auto',
    group: 'bucket',
    description:
      "Address the bucket as `endpoint/bucket` (`true`) or `bucket.endpoint` (`false`). `auto`: `bucket.endpoint` for AWS S3 and Google Cloud Storage, `endpoint/bucket` for every other store (MinIO and most S3-compatible stores), as Thanos' `bucket_lookup_type: auto`.",
    schema: z.string().transform((s, ctx) => {
      if (s.trim().toLowerCase() === 'auto') return 'auto' as const;
      const parsed = bool.safeParse(s);
      if (parsed.success) return parsed.data;
      ctx.addIssue({ code: 'custom', message: `'${s}' is not auto, true or false` });
      return z.NEVER;
    }),
  }),
  s3Sse: option({
    env: 'PROMSHIP_S3_SSE',
    flag: '--s3-sse',
    default: 'none',
    group: 'bucket',
    description: 'Server-side encryption of uploaded objects: `none`, `SSE-S3` or `SSE-KMS`.',
    schema: z.enum(['none', 'SSE-S3', 'SSE-KMS']),
  }),
  s3SseKmsKeyId: option({
    env: 'PROMSHIP_S3_SSE_KMS_KEY_ID',
    flag: '--s3-sse-kms-key-id',
    group: 'bucket',
    description: 'KMS key id (or ARN) for `SSE-KMS`.',
    schema: optionalString,
  }),
  s3ChecksumMode: option({
    env: 'PROMSHIP_S3_CHECKSUM_MODE',
    flag: '--s3-checksum-mode',
    default: 'auto',
    group: 'bucket',
    description:
      "`default`: the AWS SDK's CRC checksum headers on every request (AWS S3). `when-required`: only where the API demands them, for S3-compatible stores that reject them or store aws-chunked bodies (R2, B2, older MinIO, GCS). `auto`: `default` for AWS S3, `when-required` for any other endpoint.",
    schema: z.enum(['auto', 'default', 'when-required']),
  }),
  s3RequestTimeout: option({
    env: 'PROMSHIP_S3_REQUEST_TIMEOUT',
    flag: '--s3-request-timeout',
    default: '2m',
    group: 'bucket',
    description: 'Longest an S3 request may go without progress before it is retried; 1s to 24d.',
    // The AWS SDK's socket timeout: Node cuts a longer one down to ~24.8 days with a warning on
    // stderr in every run. Rejected, not clamped: the value written would not be the one used.
    schema: timerDuration(1000, '1s'),
  }),
  s3MaxAttempts: option({
    env: 'PROMSHIP_S3_MAX_ATTEMPTS',
    flag: '--s3-max-attempts',
    default: '5',
    group: 'bucket',
    description:
      'Attempts per S3 request, the first included (the SDK retries with backoff); a GET whose body is cut on the way is sent again up to as many times, each with its own attempts. A window that still fails is retried on a later run.',
    schema: z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .refine((n) => n >= 1 && n <= 20, 'must be between 1 and 20'),
  }),
  dataDir: option({
    env: 'PROMSHIP_DATA_DIR',
    flag: '--data-dir',
    default: '/tmp/promship',
    group: 'shipping',
    description: 'Scratch space where blocks are built before upload. Nothing in it needs to survive a restart.',
    schema: z.string().min(1, 'must not be empty'),
  }),
  blockDuration: option({
    env: 'PROMSHIP_BLOCK_DURATION',
    flag: '--block-duration',
    default: '2h',
    group: 'shipping',
    description:
      'Length of one window and block; must divide 2h (e.g. 15m, 30m, 1h, 2h) so blocks align as Thanos expects.',
    schema: duration((ms) =>
      ms < 60_000 || TWO_HOURS % ms !== 0
        ? `must divide 2h evenly and be at least 1m (e.g. 15m, 30m, 1h, 2h)`
        : undefined,
    ),
  }),
  relabelConfigFile: option({
    env: 'PROMSHIP_RELABEL_CONFIG_FILE',
    flag: '--relabel-config-file',
    group: 'shipping',
    file: true,
    description:
      "A YAML list of Prometheus relabel_configs (as under write_relabel_configs; prometheus-operator's camelCase too) applied to each series' own labels before it is written; see docs/relabel.md.",
    schema: optionalString,
  }),
  relabelPreset: option({
    env: 'PROMSHIP_RELABEL_PRESET',
    flag: '--relabel-preset',
    default: 'none',
    group: 'shipping',
    description:
      "Ship only what a consumer needs, before your own rules: `kubecost` keeps the metric names and jobs Kubecost's cost model reads (names only, never drops a label); `none` keeps everything.",
    schema: z.enum(['none', 'kubecost']),
  }),
  shipDelay: option({
    env: 'PROMSHIP_SHIP_DELAY',
    flag: '--ship-delay',
    default: '5m',
    group: 'shipping',
    description: 'How long after a window ends before it is shipped, so late scrapes and rule results are in.',
    schema: duration(),
  }),
  claimTimeout: option({
    env: 'PROMSHIP_CLAIM_TIMEOUT',
    flag: '--claim-timeout',
    default: '30m',
    group: 'shipping',
    description:
      "How long another instance's claim on a window, with no block published for it, keeps this agent off the window; after that the claim counts as a dead agent's and is taken over (see docs/one-writer.md). Keep it longer than one window's build and upload.",
    schema: duration((ms) => (ms < 1000 ? 'must be at least 1s' : undefined)),
  }),
  maxBackfill: option({
    env: 'PROMSHIP_MAX_BACKFILL',
    flag: '--max-backfill',
    default: '15d',
    group: 'shipping',
    description:
      'How far back unshipped windows are looked for (a new install ships this much history); capped at the oldest data Prometheus still holds.',
    schema: duration((ms) => (ms < 60_000 ? 'must be at least 1m' : undefined)),
  }),
  schedule: option({
    env: 'PROMSHIP_SCHEDULE',
    flag: '--schedule',
    default: '*/5 * * * *',
    group: 'daemon',
    description:
      'When `promship run` looks for windows to ship (cron, 5 or 6 fields, UTC). A run never overlaps the previous one.',
    schema: z
      .string()
      .refine((s) => validateCron(s.trim()), { error: 'is not a cron expression like */5 * * * *' })
      .transform((s) => s.trim()),
  }),
  listenAddress: option({
    env: 'PROMSHIP_LISTEN_ADDRESS',
    flag: '--listen-address',
    default: ':8080',
    group: 'daemon',
    description: 'Address for /metrics, /healthz and /readyz, `[host]:port`.',
    schema: z
      .string()
      .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'must be [host]:port like :8080 or 127.0.0.1:8080')
      .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535'),
  }),
  // The retry backoffs, like the ship delay and backfill, become times compared with the clock
  // (a window's next retry in the ledger), never a timer, so they need no timer limit.
  retryBackoff: option({
    env: 'PROMSHIP_RETRY_BACKOFF',
    flag: '--retry-backoff',
    default: '1m',
    group: 'daemon',
    description:
      'Wait before retrying a failed window; doubles with each failure (with jitter) up to PROMSHIP_RETRY_BACKOFF_MAX.',
    schema: duration(),
  }),
  retryBackoffMax: option({
    env: 'PROMSHIP_RETRY_BACKOFF_MAX',
    flag: '--retry-backoff-max',
    default: '1h',
    group: 'daemon',
    description: 'Longest wait before retrying a failed window.',
    schema: duration(),
  }),
  healthLogInterval: option({
    env: 'PROMSHIP_HEALTH_LOG_INTERVAL',
    flag: '--health-log-interval',
    default: '10m',
    group: 'daemon',
    description: "How often `promship run` logs a 'health' line (status, lag, pending and failing windows); 1s to 24d.",
    // A setInterval: a longer interval fired every millisecond and flooded the log. Rejected, not
    // clamped: someone writing 1y likely means 'rarely' or 'never', and a health line every 24
    // days would be neither what they asked for nor an error telling them so.
    schema: timerDuration(1000, '1s'),
  }),
  fleetLookback: option({
    env: 'PROMSHIP_FLEET_LOOKBACK',
    flag: '--fleet-lookback',
    default: '7d',
    group: 'fleet',
    description:
      "`promship fleet`: how far back gaps are looked for in every label set, and the span of the page's timeline.",
    schema: duration((ms) => (ms < 60_000 ? 'must be at least 1m' : undefined)),
  }),
  fleetMaxLag: option({
    env: 'PROMSHIP_FLEET_MAX_LAG',
    flag: '--fleet-max-lag',
    default: '6h',
    group: 'fleet',
    description:
      '`promship fleet`: a label set whose newest block ended longer ago than this is unhealthy (a sidecar uploads up to about 4h behind).',
    schema: duration((ms) => (ms < 60_000 ? 'must be at least 1m' : undefined)),
  }),
  fleetRefresh: option({
    env: 'PROMSHIP_FLEET_REFRESH',
    flag: '--fleet-refresh',
    default: '5m',
    group: 'fleet',
    description:
      '`promship fleet serve`: how often the bucket is listed again (each meta.json is read once and cached); 1s to 24d.',
    schema: timerDuration(1000, '1s'),
  }),
  logLevel: option({
    env: 'PROMSHIP_LOG_LEVEL',
    flag: '--log-level',
    default: 'info',
    group: 'logging',
    description: 'One of fatal, error, warn, info, debug, trace.',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
  }),
  logFormat: option({
    env: 'PROMSHIP_LOG_FORMAT',
    flag: '--log-format',
    default: 'json',
    group: 'logging',
    description: '`json` (one object per line, for log pipelines) or `pretty` (for people).',
    schema: z.enum(['json', 'pretty']),
  }),
} as const;

export type Options = typeof options;
export type OptionName = keyof Options;
export type Config = { [K in OptionName]: Options[K] extends OptionSpec<infer T> ? T : never };

/**
 * A rule between settings, checked once each setting is valid on its own: the problem, and the
 * setting it is reported against (`invalid <that setting>: <problem>`). `name` gives a setting as
 * the user gave it (its flag if one was given, else its variable), so the one error line names
 * every setting involved. Problems never quote a value.
 */
export type CrossCheck = (
  config: Config,
  name: (option: OptionName) => string,
) => { about: OptionName; problem: string } | undefined;

export const crossChecks: readonly CrossCheck[] = [
  // Prometheus gets one Authorization header. The client refuses both too, but in words that
  // named no setting.
  (c, name) => {
    const basic =
      c.prometheusUsername !== undefined
        ? 'prometheusUsername'
        : c.prometheusPasswordFile !== undefined
          ? 'prometheusPasswordFile'
          : undefined;
    return c.prometheusBearerTokenFile !== undefined && basic !== undefined
      ? {
          about: 'prometheusBearerTokenFile',
          problem: `cannot be used with ${name(basic)}: Prometheus gets either a bearer token or basic auth; unset one`,
        }
      : undefined;
  },
  // A custom Authorization header next to promship's own would be silently replaced by it.
  (c, name) => {
    const auth =
      c.prometheusBearerTokenFile !== undefined
        ? 'prometheusBearerTokenFile'
        : c.prometheusUsername !== undefined
          ? 'prometheusUsername'
          : undefined;
    const custom = Object.keys(c.prometheusHeaders).some((h) => h.toLowerCase() === 'authorization');
    return auth !== undefined && custom
      ? {
          about: 'prometheusHeaders',
          problem: `sets Authorization, which ${name(auth)} sets too; use one or the other`,
        }
      : undefined;
  },
  // A client certificate is a pair; the client refuses half of one too, naming no setting.
  (c, name) => {
    if ((c.prometheusCertFile === undefined) === (c.prometheusKeyFile === undefined)) return undefined;
    const [given, missing] =
      c.prometheusCertFile !== undefined
        ? (['prometheusCertFile', 'prometheusKeyFile'] as const)
        : (['prometheusKeyFile', 'prometheusCertFile'] as const);
    return {
      about: given,
      problem: `a client certificate needs both ${name('prometheusCertFile')} and ${name('prometheusKeyFile')}, and ${name(missing)} is not set`,
    };
  },
  // A window is shipped between PROMSHIP_SHIP_DELAY and PROMSHIP_MAX_BACKFILL after its end;
  // with a backfill no longer than the delay no window ever is.
  (c, name) =>
    c.maxBackfill <= c.shipDelay
      ? {
          about: 'maxBackfill',
          problem: `must be longer than ${name('shipDelay')}: a window ships between that delay and this horizon after it ends, so nothing would ever ship`,
        }
      : undefined,
  // ... and with runs too far apart for that time, some windows fall due only between two runs.
  (c, name) => {
    if (c.maxBackfill <= c.shipDelay) return undefined;
    const missed = missedWindow(c.schedule, c.blockDuration, c.shipDelay, c.maxBackfill);
    return missed === undefined
      ? undefined
      : {
          about: 'maxBackfill',
          problem: `is too short for ${name('schedule')} '${c.schedule}': the window ending ${new Date(missed.windowEnd).toISOString()} would never ship, since no run falls between ${name('shipDelay')} and this horizon after its end; make it at least ${formatDuration(c.shipDelay + missed.longestGapMs)}, or run more often`,
        };
  },
  // The client sent basic auth only when a user name was set: a password file alone was ignored
  // without a word, and requests went out unauthenticated.
  (c, name) =>
    c.prometheusPasswordFile !== undefined && c.prometheusUsername === undefined
      ? {
          about: 'prometheusPasswordFile',
          problem: `basic auth needs ${name('prometheusUsername')} too; set it, or unset ${name('prometheusPasswordFile')}`,
        }
      : undefined,
];
