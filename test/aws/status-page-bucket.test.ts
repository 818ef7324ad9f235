/**
 * The status page put against a loopback HTTP server standing in for S3 (../support/s3-stand-in.ts):
 * the request it makes, and how a failure is reported (the client makes one attempt, so a 500 is seen
 * once and reported: the next sweep is the retry).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createS3StatusPagePut, StatusPagePutError } from '../../shared/aws/status-page-bucket.ts';
import { startS3StandIn, type S3StandIn, type SeenRequest } from '../support/s3-stand-in.ts';

let s3: S3StandIn;

beforeAll(async () => {
  s3 = await startS3StandIn('eu-west-1');
});

afterAll(async () => {
  await s3?.stop();
});

beforeEach(() => {
  s3.seen.length = 0;
  s3.reply = { status: 200, body: '' };
});

const HTML = '<!doctype html><html lang="en"><title>Status — ünïcode</title><p>All good</p></html>';

describe('createS3StatusPagePut', () => {
  it('PUTs index.html into the bucket as UTF-8 HTML with a one-minute Cache-Control, signed', async () => {
    await createS3StatusPagePut(s3.client, 'vantage-status-bucket')(HTML);

    expect(s3.seen).toHaveLength(1);
    const [req] = s3.seen as [SeenRequest];
    expect(req.method).toBe('PUT');
    expect(req.url.split('?')[0]).toBe('/vantage-status-bucket/index.html');
    expect(req.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(req.headers['cache-control']).toBe('max-age=60');
    expect(req.body).toBe(HTML);
    expect(req.headers['content-length']).toBe(String(Buffer.byteLength(HTML)));
    // SigV4 for S3 in the client's region.
    expect(req.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/eu-west-1\/s3\/aws4_request/);
  });

  it('fails with STATUS_PAGE_PUT_FAILED naming the S3 error and the object, not the page, on a 500', async () => {
    s3.reply = { status: 500, body: '<?xml version="1.0"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>' };

    const err = await createS3StatusPagePut(s3.client, 'vantage-status-bucket')(HTML).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(StatusPagePutError);
    expect(err).toMatchObject({ code: 'STATUS_PAGE_PUT_FAILED' });
    expect((err as Error).message).toContain('s3://vantage-status-bucket/index.html');
    expect((err as Error).message).toContain('InternalError (HTTP 500)');
    expect((err as Error).message).not.toContain('All good');
    expect(s3.seen).toHaveLength(1);
  });

  it('gives up after its timeout on an endpoint that never answers', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const stuck = new S3Client({ endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, forcePathStyle: true, region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    try {
      const err = await createS3StatusPagePut(stuck, 'b', { timeoutMs: 50 })(HTML).catch((e: unknown) => e);

      expect(err).toMatchObject({ code: 'STATUS_PAGE_PUT_FAILED' });
    } finally {
      stuck.destroy();
      silent.closeAllConnections();
      silent.close();
    }
  });
});
