import type { BucketLocation } from '../config/schema.ts';
import type { Bucket } from './bucket.ts';
import { FileBucket } from './file-bucket.ts';

/** The bucket a validated location names. */
export function openBucket(location: BucketLocation): Bucket {
  switch (location.kind) {
    case 'file':
      return new FileBucket(location.dir);
    case 's3':
      throw new Error('s3 buckets arrive with the S3 implementation');
  }
}
