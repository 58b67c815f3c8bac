/**
 * `kaizen serve`: the HTTPS API's handlers on a loopback port (plain node:http), against the local stack, with
 * the request and response shapes of API Gateway's Lambda proxy integration.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KaizenContext } from '#runtime/context.ts';
import { type ApiRequest, type OnStored, routeRequest } from '../functions/api/api.ts';

/** Largest body read (API Gateway's payload limit is 10 MB). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The API Gateway resource template a path matches, with its path parameters. */
export function matchResource(path: string): {
  resource: string;
  pathParameters: Record<string, string> | null;
} {
  if (path === '/observations') return { resource: '/observations', pathParameters: null };
  const status = /^\/models\/([^/]+)\/status$/.exec(path);
  if (status?.[1])
    return { resource: '/models/{id}/status', pathParameters: { id: decodeURIComponent(status[1]) } };
  return { resource: path, pathParameters: null };
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Starts the API on `127.0.0.1:port` (0: any free port); resolves once it listens. */
export async function startApiServer(
  ctx: KaizenContext,
  port: number,
  onStored: OnStored,
): Promise<{ server: Server; url: string }> {
  // One request at a time: the local stack's trigger and loops run in this process.
  let queue: Promise<unknown> = Promise.resolve();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const handle = async () => {
      const body = await readBody(req);
      if (body === undefined) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `the body is over ${MAX_BODY_BYTES} bytes` }));
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([key, value]) => [
          key,
          Array.isArray(value) ? value.join(',') : value,
        ]),
      ) as Record<string, string>;
      const request: ApiRequest = {
        httpMethod: req.method ?? 'GET',
        path: url.pathname,
        ...matchResource(url.pathname),
        headers,
        body: body.length > 0 ? body.toString('utf8') : null,
        isBase64Encoded: false,
      };
      const result = await routeRequest(ctx, request, onStored);
      res.writeHead(result.statusCode, result.headers as Record<string, string>);
      res.end(result.body);
    };
    queue = queue.then(handle).catch((error: Error) => {
      // As API Gateway answers a failed integration.
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `Internal server error: ${error.message}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${bound}` };
}
