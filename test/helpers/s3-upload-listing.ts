/**
 * fauxqs with a ListMultipartUploads shim. Neither test S3 server lists multipart uploads (s3rver
 * answers NotImplemented; fauxqs treats `GET /bucket?uploads` as a plain object listing), but
 * fauxqs does keep real multipart uploads and implements CreateMultipartUpload, UploadPart and
 * AbortMultipartUpload. This server answers only `GET /<bucket>?uploads` itself, from fauxqs' own
 * record of its unfinished uploads, paged like S3 (key-marker / upload-id-marker), and passes every
 * other request to fauxqs unchanged.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface UploadListingServer {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Unfinished multipart uploads fauxqs holds right now, by key. */
  openUploads(): { key: string; uploadId: string; parts: number }[];
  /** How many ListMultipartUploads requests the shim answered. */
  listings: number;
  /** The largest page the shim returns (smaller than S3's 1000, so paging is exercised). */
  pageSize: number;
}

interface StoredUpload {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: Date;
  parts: Map<number, unknown>;
}

export async function startFauxqsWithUploadListing(
  t: Teardown,
  bucket = 'promship-test',
): Promise<UploadListingServer> {
  // fauxqs does not export its S3 store; it sits beside its entry point.
  const storeUrl = new URL('./s3/s3Store.js', import.meta.resolve('fauxqs'));
  const { S3Store } = (await import(storeUrl.href)) as { S3Store: new () => object };
  const store = new S3Store();
  const app = buildApp({ logger: false, stores: { s3Store: store } } as unknown as Parameters<typeof buildApp>[0]);
  await app.ready();
  const uploads = (): StoredUpload[] => [
    ...(store as unknown as { multipartUploads: Map<string, StoredUpload> }).multipartUploads.values(),
  ];

  const result: UploadListingServer = {
    endpoint: '',
    bucket,
    region: 'us-east-1',
    accessKeyId: 'test',
    secretAccessKey: 'test',
    openUploads: () => uploads().map((u) => ({ key: u.key, uploadId: u.uploadId, parts: u.parts.size })),
    listings: 0,
    pageSize: 2,
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '');
    if (req.method === 'GET' && url.searchParams.has('uploads') && path === `/${bucket}`) {
      result.listings++;
      const prefix = url.searchParams.get('prefix') ?? '';
      const keyMarker = url.searchParams.get('key-marker') ?? '';
      const idMarker = url.searchParams.get('upload-id-marker') ?? '';
      const max = Math.min(Number(url.searchParams.get('max-uploads') ?? 1000), result.pageSize);
      const all = uploads()
        .filter((u) => u.bucket === bucket && u.key.startsWith(prefix))
        .filter((u) => keyMarker === '' || u.key > keyMarker || (u.key === keyMarker && u.uploadId > idMarker))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.uploadId < b.uploadId ? -1 : 1));
      const page = all.slice(0, max);
      const truncated = all.length > page.length;
      const last = page[page.length - 1];
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>' +
          '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          `<Bucket>${xml(bucket)}</Bucket><KeyMarker>${xml(keyMarker)}</KeyMarker>` +
          `<UploadIdMarker>${xml(idMarker)}</UploadIdMarker><Prefix>${xml(prefix)}</Prefix>` +
          `<MaxUploads>${max}</MaxUploads><IsTruncated>${truncated}</IsTruncated>` +
          (truncated && last
            ? `<NextKeyMarker>${xml(last.key)}</NextKeyMarker><NextUploadIdMarker>${xml(last.uploadId)}</NextUploadIdMarker>`
            : '') +
          page
            .map(
              (u) =>
                `<Upload><Key>${xml(u.key)}</Key><UploadId>${xml(u.uploadId)}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
            )
            .join('') +
          '</ListMultipartUploadsResult>',
      );
      return;
    }
    app.routing(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  result.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    await app.close();
  });
  const client = new S3Client({
    endpoint: result.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return result;
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
