/**
 * The bucket the configuration names: `PROMSHIP_BUCKET` (with the `PROMSHIP_S3_*` settings and
 * the standard AWS credential chain), or a Thanos objstore YAML file. Problems are `ConfigError`s,
 * so a wrong bucket setting stops the agent at start.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { Bucket } from './bucket.ts';
import { FileBucket } from './file-bucket.ts';
import { parseObjstoreConfig, regionFromAwsHost } from './objstore-config.ts';
import type { S3BucketOptions } from './s3-bucket.ts';

export interface OpenedBucket {
  bucket: Bucket;
  /** Settings that are valid for Thanos but ignored by promship: log them. */
  warnings: string[];
}

type BucketConfig = Pick<
  Config,
  | 'bucket'
  | 'objstoreConfigFile'
  | 's3Endpoint'
  | 's3Region'
  | 's3ForcePathStyle'
  | 's3Sse'
  | 's3SseKmsKeyId'
  | 's3ChecksumMode'
  | 's3RequestTimeout'
  | 's3MaxAttempts'
>;

export async function openBucket(config: BucketConfig, env: NodeJS.ProcessEnv = process.env): Promise<OpenedBucket> {
  if (config.objstoreConfigFile && config.bucket) {
    throw new ConfigError('set either PROMSHIP_BUCKET or PROMSHIP_OBJSTORE_CONFIG_FILE, not both');
  }
  if (config.objstoreConfigFile) {
    let text: string;
    try {
      text = await readFile(config.objstoreConfigFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read PROMSHIP_OBJSTORE_CONFIG_FILE ${config.objstoreConfigFile}: ${(err as Error).message}`);
    }
    const parsed = parseObjstoreConfig(text, config.objstoreConfigFile);
    const b = parsed.bucket;
    if (b.kind === 'filesystem') {
      const dir = b.prefix ? `${b.dir.replace(/\/+$/, '')}/${b.prefix.replace(/^\/+|\/+$/g, '')}` : b.dir;
      return { bucket: new FileBucket(dir), warnings: parsed.warnings };
    }
    const { options, warnings } = withS3Settings(b.options, config, parsed.warnings);
    return { bucket: await s3Bucket(options), warnings };
  }
  const location = config.bucket;
  if (!location) {
    throw new ConfigError('no bucket: set PROMSHIP_BUCKET (e.g. s3://bucket/prefix or file:///var/lib/blocks) or PROMSHIP_OBJSTORE_CONFIG_FILE');
  }
  if (location.kind === 'file') return { bucket: new FileBucket(location.dir), warnings: [] };
  if (config.s3Sse === 'SSE-KMS' && !config.s3SseKmsKeyId) {
    throw new ConfigError('PROMSHIP_S3_SSE is SSE-KMS but PROMSHIP_S3_SSE_KMS_KEY_ID is not set');
  }
  // An AWS endpoint that names its region (dualstack, FIPS, China, PrivateLink) must be signed
  // for that region, whatever region the environment is in.
  const region =
    config.s3Region ??
    (config.s3Endpoint ? regionFromAwsHost(config.s3Endpoint) : undefined) ??
    env.AWS_REGION ??
    env.AWS_DEFAULT_REGION;
  const options: S3BucketOptions = {
    bucket: location.bucket,
    prefix: location.prefix,
    forcePathStyle: config.s3ForcePathStyle,
    checksumMode: config.s3ChecksumMode,
    requestTimeoutMs: config.s3RequestTimeout,
    maxAttempts: config.s3MaxAttempts,
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
    ...(region ? { region } : {}),
    ...(config.s3Sse === 'SSE-S3' ? { sse: { type: 'SSE-S3' as const } } : {}),
    ...(config.s3Sse === 'SSE-KMS' ? { sse: { type: 'SSE-KMS' as const, kmsKeyId: config.s3SseKmsKeyId! } } : {}),
  };
  return { bucket: await s3Bucket(options), warnings: [] };
}

/**
 * The `PROMSHIP_S3_*` settings beside an objstore YAML. Where the YAML has the same setting and
 * sets it, the YAML wins (it is shared with Thanos); otherwise the setting applies, so its
 * documented default (5 attempts, 2m timeout) holds and README advice such as
 * `PROMSHIP_S3_CHECKSUM_MODE=when-required` works. Settings that only the YAML may give (the
 * endpoint, path style, encryption) are ignored with a warning when set.
 */
function withS3Settings(
  fromYaml: S3BucketOptions,
  config: BucketConfig,
  yamlWarnings: readonly string[],
): { options: S3BucketOptions; warnings: string[] } {
  const options: S3BucketOptions = { ...fromYaml };
  const warnings = [...yamlWarnings];
  // No YAML equivalent; `default` leaves the choice made from the endpoint (AWS or not).
  if (config.s3ChecksumMode === 'when-required') options.checksumMode = 'when-required';
  options.maxAttempts ??= config.s3MaxAttempts;
  options.requestTimeoutMs ??= config.s3RequestTimeout;
  // The YAML's region (or the one its endpoint names) wins; only a bare s3.amazonaws.com has none.
  if (options.region === undefined && config.s3Region !== undefined) options.region = config.s3Region;
  const yamlOnly: [string, boolean][] = [
    ['PROMSHIP_S3_ENDPOINT', Boolean(config.s3Endpoint)],
    ['PROMSHIP_S3_FORCE_PATH_STYLE', config.s3ForcePathStyle],
    ['PROMSHIP_S3_SSE', config.s3Sse !== 'none'],
    ['PROMSHIP_S3_SSE_KMS_KEY_ID', Boolean(config.s3SseKmsKeyId)],
  ];
  for (const [name, set] of yamlOnly) {
    if (set) {
      warnings.push(
        `${name} is ignored with PROMSHIP_OBJSTORE_CONFIG_FILE: set its counterpart in the objstore YAML ` +
          '(endpoint, bucket_lookup_type, sse_config)',
      );
    }
  }
  return { options, warnings };
}

/**
 * The S3 client is loaded only for an S3 bucket: the AWS SDK takes about 120 ms to load, a tenth
 * of a whole `promship once` on a file bucket (measured).
 */
async function s3Bucket(options: S3BucketOptions): Promise<Bucket> {
  const { S3Bucket } = await import('./s3-bucket.ts');
  return new S3Bucket(options);
}
