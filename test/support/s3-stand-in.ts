/**
 * A loopback HTTP server standing in for S3 (path-style requests, as S3Client sends them with
 * forcePathStyle): it records every request and answers what the test sets, 200 by default.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';

export interface SeenRequest { method: string; url: string; headers: IncomingHttpHeaders; body: string }

export interface S3StandIn {
  /** A client for it: one attempt, so each failure the test sets is seen once. */
  client: S3Client;
  seen: SeenRequest[];
  /** What it answers next (and after), until set again. */
  reply: { status: number; body: string };
  stop(): Promise<void>;
}

export async function startS3StandIn(region = 'eu-west-1'): Promise<S3StandIn> {
  const standIn = { seen: [] as SeenRequest[], reply: { status: 200, body: '' } };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      standIn.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(standIn.reply.status, { 'content-type': 'application/xml', ETag: '"0123456789abcdef"' });
      res.end(standIn.reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forcePathStyle: true,
    region,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return Object.assign(standIn, {
    client,
    stop: async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
