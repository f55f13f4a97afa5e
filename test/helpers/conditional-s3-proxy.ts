/**
 * A small S3 store that honours `If-None-Match: *`, as AWS S3 (since 2024) and MinIO do: a proxy
 * in front of s3rver or fauxqs (which ignore the header and overwrite) that serializes PutObject
 * requests carrying the header per key and answers 412 PreconditionFailed when the key already
 * exists, asking the real server with a signed HEAD. Everything else passes through unchanged, so
 * SigV4 signatures still verify upstream.
 */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startPassThroughProxy } from './pass-through-proxy.ts';
import type { S3TestServer } from './s3.ts';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface ConditionalS3Proxy {
  /** `http://127.0.0.1:<port>`: point the client's endpoint here. */
  url: string;
  /** Conditional PUTs answered 412 because the key existed. */
  refused: number;
  /** Conditional PUTs passed on (the key did not exist). */
  created: number;
}

const PRECONDITION_FAILED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>';

export async function startConditionalS3Proxy(t: Teardown, server: S3TestServer): Promise<ConditionalS3Proxy> {
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  t.teardown(() => {
    client.destroy();
  });
  /** Per key, the tail of the chain of conditional PUTs waiting for it. */
  const queues = new Map<string, Promise<void>>();
  const state: ConditionalS3Proxy = { url: '', refused: 0, created: 0 };

  const exists = async (key: string): Promise<boolean> => {
    try {
      await client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: key }));
      return true;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw err;
    }
  };

  const intercept = (req: IncomingMessage, res: ServerResponse, pass: () => void): boolean => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'PUT' || req.headers['if-none-match'] !== '*' || url.searchParams.has('uploadId')) return false;
    const path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const slash = path.indexOf('/');
    if (slash < 0 || path.slice(0, slash) !== server.bucket) return false;
    const key = path.slice(slash + 1);
    const prev = queues.get(key) ?? Promise.resolve();
    const mine = prev.then(
      () =>
        new Promise<void>((release) => {
          res.once('close', () => {
            release();
          });
          exists(key).then(
            (found) => {
              if (!found) {
                state.created++;
                pass();
                return;
              }
              state.refused++;
              // Read the body away first, then answer as S3 does.
              req.resume();
              req.once('end', () => {
                res.writeHead(412, {
                  'content-type': 'application/xml',
                  'content-length': Buffer.byteLength(PRECONDITION_FAILED),
                });
                res.end(PRECONDITION_FAILED);
              });
            },
            () => {
              res.writeHead(500);
              res.end();
            },
          );
        }),
    );
    queues.set(key, mine);
    void mine.finally(() => {
      if (queues.get(key) === mine) queues.delete(key);
    });
    return true;
  };
  const proxy = await startPassThroughProxy(t, server.endpoint, intercept);
  state.url = proxy.url;
  return state;
}
