/**
 * The one place that decides, from an S3 endpoint, how promship talks to it: the signing region,
 * path-style or virtual-hosted addressing, and whether the AWS SDK's default checksums are sent.
 * Both ways of configuring a bucket (`PROMSHIP_BUCKET` with `PROMSHIP_S3_*`, and a Thanos objstore
 * YAML) call it, so one endpoint behaves the same whichever way it was given.
 *
 * The rules follow what Thanos does with the same YAML (thanos-io/objstore `providers/s3` hands
 * `endpoint`, `region`, `insecure` and `bucket_lookup_type` to minio-go):
 * - region: the configured one, else the one an AWS host names (minio-go's GetRegionFromURL), else
 *   for AWS S3 the process' AWS_REGION / AWS_DEFAULT_REGION (what the SDK and IRSA set), else
 *   us-east-1 for an endpoint used as given (minio-go's default; for a non-AWS store the region
 *   only matters for signing), and nothing for a standard AWS endpoint, so the SDK follows S3's
 *   redirects to the bucket's region;
 * - addressing: `auto` is virtual-hosted for AWS and Google Cloud Storage hosts and path-style
 *   for every other store (minio-go's BucketLookupAuto);
 * - checksums: `auto` sends the SDK's CRC checksums only to AWS S3; S3-compatible stores (MinIO,
 *   R2, B2, GCS interoperability) often reject them or store aws-chunked bodies.
 * A standard AWS endpoint (`s3.amazonaws.com`, `s3.<region>.amazonaws.com`) over https is left to
 * the SDK, which builds the regional URL itself; every other endpoint is used as given.
 */

export type BucketLookup = 'auto' | 'virtual-hosted' | 'path';
export type ChecksumChoice = 'auto' | 'default' | 'when-required';

/** What a configuration says about the endpoint, before any rule is applied. */
export interface S3EndpointChoice {
  /** `host[:port]` or `http(s)://host[:port]`; undefined for AWS S3 chosen by region alone. */
  endpoint: string | undefined;
  /** Plain http for a scheme-less endpoint (Thanos' `insecure`). */
  insecure: boolean;
  /** The configured region, if any. */
  region: string | undefined;
  bucketLookup: BucketLookup;
  checksumMode: ChecksumChoice;
  /** AWS_REGION (or AWS_DEFAULT_REGION) of the process: used for AWS S3 only. */
  environmentRegion: string | undefined;
}

/** The settings the S3 client is built with. */
export interface ResolvedS3Endpoint {
  endpoint?: string;
  insecure?: boolean;
  /** Absent: us-east-1 with S3's redirects to the bucket's region followed. */
  region?: string;
  forcePathStyle: boolean;
  checksumMode: 'default' | 'when-required';
}

const AWS_HOST = /(^|\.)amazonaws\.com(\.cn)?$/i;
// s3.amazonaws.com, s3.<region>.amazonaws.com, s3-<region>.amazonaws.com (legacy).
const AWS_PLAIN_HOST = /^s3(?:[.-][a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)?\.amazonaws\.com(\.cn)?$/i;
// minio-go's IsGoogleEndpoint: the XML API host of Cloud Storage.
const GOOGLE_HOST = /^storage\.googleapis\.com$/i;

// AWS S3 host shapes that name their region, as minio-go's GetRegionFromURL (which Thanos uses)
// reads them: the region is part of the SigV4 signature, so signing for us-east-1 against any of
// these fails. One DNS label each, so a look-alike host cannot smuggle in a dotted "region".
const AWS_REGION_HOSTS: readonly RegExp[] = [
  /^s3-fips\.dualstack\.([a-z0-9-]+)\.amazonaws\.com$/,
  /^s3-fips\.([a-z0-9-]+)\.amazonaws\.com$/,
  /^s3\.dualstack\.([a-z0-9-]+)\.amazonaws\.com$/,
  /^s3\.dualstack\.(cn-[a-z0-9-]+)\.amazonaws\.com\.cn$/,
  /^s3\.(cn-[a-z0-9-]+)\.amazonaws\.com\.cn$/,
  /^(?:bucket|accesspoint)\.vpce-[a-z0-9-]+\.s3\.([a-z0-9-]+)\.vpce\.amazonaws\.com$/,
  /^s3-([a-z0-9-]+)\.amazonaws\.com$/,
  /^s3\.([a-z0-9-]+)\.amazonaws\.com$/,
];

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** The host of `host[:port]` or a URL, lower-cased, without port or trailing dot. */
function hostOf(endpoint: string): string {
  let host = endpoint.trim().toLowerCase();
  if (SCHEME.test(host)) {
    try {
      host = new URL(host).hostname;
    } catch {
      return '';
    }
  }
  return host
    .replace(/[/?#].*$/, '')
    .replace(/:\d+$/, '')
    .replace(/\.$/, '');
}

/**
 * The region an AWS S3 endpoint host names (`s3.dualstack.eu-west-1.amazonaws.com`,
 * `s3-fips.us-gov-west-1.amazonaws.com`, `s3.cn-north-1.amazonaws.com.cn`, PrivateLink
 * `bucket.vpce-….s3.eu-central-1.vpce.amazonaws.com`, …), or `undefined` for hosts that name
 * none (`s3.amazonaws.com`, `s3-external-1.amazonaws.com`, load balancers, non-AWS stores).
 */
export function regionFromAwsHost(hostOrEndpoint: string): string | undefined {
  const host = hostOf(hostOrEndpoint);
  if (host === 's3-external-1.amazonaws.com') return undefined;
  for (const re of AWS_REGION_HOSTS) {
    const region = re.exec(host)?.[1];
    if (region === undefined) continue;
    // s3.<word>.amazonaws.com hosts that are not regions (S3 control, website, Express).
    if (/^(?:dualstack|control|website-|xpress-|external-)/.test(region)) return undefined;
    return region;
  }
  return undefined;
}

export function resolveS3Endpoint(choice: S3EndpointChoice): ResolvedS3Endpoint {
  const endpoint = nonEmpty(choice.endpoint);
  const host = endpoint === undefined ? '' : hostOf(endpoint);
  // No endpoint means AWS S3, found by region.
  const aws = endpoint === undefined || AWS_HOST.test(host);
  const scheme = endpoint === undefined ? undefined : SCHEME.exec(endpoint)?.[1]?.toLowerCase();
  const secure = scheme === undefined ? !choice.insecure : scheme === 'https';
  // A standard AWS endpoint over https is left to the SDK, which builds the regional URL itself.
  const keepEndpoint = endpoint !== undefined && !(AWS_PLAIN_HOST.test(host) && secure);
  const region =
    nonEmpty(choice.region) ??
    (endpoint === undefined ? undefined : regionFromAwsHost(host)) ??
    (aws ? nonEmpty(choice.environmentRegion) : undefined) ??
    // minio-go's default for an endpoint it is given; without one the SDK follows redirects.
    (keepEndpoint ? 'us-east-1' : undefined);

  const lookup = choice.bucketLookup;
  const forcePathStyle = lookup === 'path' || (lookup === 'auto' && !(aws || GOOGLE_HOST.test(host)));
  const checksumMode = choice.checksumMode === 'auto' ? (aws ? 'default' : 'when-required') : choice.checksumMode;

  const resolved: ResolvedS3Endpoint = { forcePathStyle, checksumMode };
  if (region !== undefined) resolved.region = region;
  if (keepEndpoint) {
    resolved.endpoint = endpoint;
    if (choice.insecure && scheme === undefined) resolved.insecure = true;
  }
  return resolved;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

/** AWS_REGION, else AWS_DEFAULT_REGION, as the AWS SDK reads them. */
export function environmentRegion(env: NodeJS.ProcessEnv): string | undefined {
  return nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
}
