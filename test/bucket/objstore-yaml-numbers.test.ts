/**
 * Whole numbers in an objstore YAML, read as Thanos reads them. Thanos decodes the file with
 * gopkg.in/yaml.v2, whose resolver drops every `_` and parses with Go's strconv.ParseInt(s, 0, 64):
 * `8_388_608` and `0x800000` are 8388608, `0b101` is 5, `0o17` is 15, and `010` is 8 (octal).
 * promship took only plain digits: a file Thanos accepts stopped promship at start, or `010`
 * became ten retries instead of eight. The expected values are Go's, worked out by hand from
 * those rules, not printed by the code under test.
 */
import t from 'tap';
import { parseObjstoreConfig } from '../../src/bucket/objstore-config.ts';

function parsed(yaml: string): unknown {
  const { bucket } = parseObjstoreConfig(yaml, 'objstore.yaml');
  return bucket.kind === 'filesystem' ? undefined : bucket.options;
}

const gcs = (key: string, v: string): string => `type: GCS\nconfig:\n  bucket: b\n  ${key}: ${v}\n`;
const s3 = (v: string): string => `type: S3\nconfig:\n  bucket: b\n  endpoint: minio:9000\n  part_size: ${v}\n`;
const azure = (v: string): string =>
  `type: AZURE\nconfig:\n  storage_account: acct\n  container: thanos\n  pipeline_config:\n    max_tries: ${v}\n`;

t.test('as yaml.v2 reads them', async (t) => {
  t.match(parsed(gcs('chunk_size_bytes', '8_388_608')), { chunkSizeBytes: 8_388_608 }, 'digit separators');
  t.match(parsed(gcs('chunk_size_bytes', '0x800000')), { chunkSizeBytes: 8_388_608 }, 'hexadecimal');
  t.match(parsed(gcs('max_retries', '010')), { maxAttempts: 8 }, 'a leading zero is octal');
  t.match(parsed(gcs('max_retries', '0o7')), { maxAttempts: 7 }, '0o is octal');
  t.match(parsed(gcs('max_retries', '0b101')), { maxAttempts: 5 }, '0b is binary');
  t.match(parsed(gcs('max_retries', '+3')), { maxAttempts: 3 }, 'a plus sign');
  t.match(parsed(s3('0x1000000')), { partSizeBytes: 16 * 1024 * 1024 }, 'S3 part_size in hexadecimal');
  t.match(parsed(azure('010')), { maxTries: 8 }, 'Azure max_tries with a leading zero');
});

t.test('what yaml.v2 does not read as a whole number is still refused', async (t) => {
  for (const v of ['08', '1.5', '0x', 'ten', '1e3'])
    t.throws(() => parsed(gcs('max_retries', v)), /max_retries must be a whole number/, v);
  t.throws(() => parsed(s3('-1')), /part_size must not be negative/);
});
