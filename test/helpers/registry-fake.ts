// A scriptable HTTP server on 127.0.0.1 for registry-client unit tests: each
// request (with its body read) goes to the test's handler, and is recorded.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }
export interface FakeServer {
  host: string;
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}
export type Handler = (req: Recorded, res: ServerResponse, raw: IncomingMessage) => unknown;

export async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const requests: Recorded[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const r: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
    requests.push(r);
    try {
      await handler(r, res, req);
    } catch (err) {
      res.writeHead(599).end(String(err));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const b = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(b.length), ...headers }).end(b);
}
