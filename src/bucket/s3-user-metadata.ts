/**
 * Thanos' `put_user_metadata` split into S3 request parameters, apart from the S3 client so that
 * checking a configuration does not load the AWS SDK (a few hundred modules) for a bucket that
 * may not even be S3.
 */
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';

const STANDARD_HEADERS: Record<
  string,
  'ContentType' | 'CacheControl' | 'ContentDisposition' | 'ContentEncoding' | 'ContentLanguage'
> = {
  'content-type': 'ContentType',
  'cache-control': 'CacheControl',
  'content-disposition': 'ContentDisposition',
  'content-encoding': 'ContentEncoding',
  'content-language': 'ContentLanguage',
};

/**
 * Splits Thanos' `put_user_metadata` the way minio-go sends it: special S3 headers, standard
 * headers, and user metadata. `unsupported` lists keys promship cannot send faithfully.
 */
export function splitUserMetadata(meta: Record<string, string>): {
  params: Partial<PutObjectCommandInput>;
  unsupported: string[];
} {
  const params: Partial<PutObjectCommandInput> = {};
  const metadata: Record<string, string> = {};
  const unsupported: string[] = [];
  for (const [key, value] of Object.entries(meta)) {
    const lower = key.toLowerCase();
    const standard = STANDARD_HEADERS[lower];
    if (lower === 'x-amz-acl') params.ACL = value as PutObjectCommandInput['ACL'];
    else if (lower === 'x-amz-storage-class') params.StorageClass = value as PutObjectCommandInput['StorageClass'];
    else if (standard !== undefined) params[standard] = value;
    else if (lower.startsWith('x-amz-meta-')) metadata[key.slice('x-amz-meta-'.length)] = value;
    else if (lower.startsWith('x-amz-') || lower === 'expires') unsupported.push(key);
    else metadata[key] = value;
  }
  if (Object.keys(metadata).length > 0) params.Metadata = metadata;
  return { params, unsupported };
}
