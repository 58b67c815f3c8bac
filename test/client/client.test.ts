import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KaizenApiError, KaizenClient } from '../../client/index.ts';

/** A stand-in for the API: records each request and answers from `answer` (per call, 1-based). */
async function fakeApi(
  answer: (call: number, body: { observations?: unknown[] }) => { status: number; body: unknown },
) {
  const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const reply = answer(requests.length, body ? JSON.parse(body) : {});
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`, requests };
}
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const ok = (rows: number) => ({
  status: 201,
  body: { stored: rows, unchanged: 0, duplicates: 0, rejected: [], unknownMetrics: [] },
});

describe('KaizenClient', () => {
  it('signs each request with SigV4 for execute-api in the region, over the exact body', async () => {
    const api = await fakeApi((_, body) => ok(body.observations?.length ?? 0));
    const client = new KaizenClient({ url: api.url, region: 'eu-west-1', credentials });
    const result = await client.putObservations([{ type: 'kpi' }]);
    expect(result).toMatchObject({ stored: 1, statuses: [201] });
    const [request] = api.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/observations');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    // The signed payload hash is the hash of the body that arrived.
    expect(request?.headers['x-amz-content-sha256']).toBe(
      createHash('sha256')
        .update(request?.body ?? '')
        .digest('hex'),
    );
    expect(JSON.parse(request?.body ?? '')).toEqual({ observations: [{ type: 'kpi' }] });
  });

  it('splits rows into batches and numbers rejected rows across all of them', async () => {
    const api = await fakeApi((call, body) =>
      call === 2
        ? {
            status: 207,
            body: {
              stored: 1,
              unchanged: 0,
              duplicates: 0,
              rejected: [{ line: 2, reason: 'value: must be a number' }],
              unknownMetrics: [],
            },
          }
        : ok(body.observations?.length ?? 0),
    );
    const client = new KaizenClient({ url: api.url, auth: 'none', batchSize: 2 });
    const result = await client.putObservations([1, 2, 3, 4, 5].map((n) => ({ n })));
    expect(api.requests.map((r) => JSON.parse(r.body).observations.length)).toEqual([2, 2, 1]);
    expect(result).toEqual({
      stored: 4,
      unchanged: 0,
      duplicates: 0,
      rejected: [{ line: 4, reason: 'value: must be a number' }],
      unknownMetrics: [],
      statuses: [201, 207, 201],
    });
    expect(api.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('retries throttling and server errors with backoff, and gives up after maxAttempts', async () => {
    const flaky = await fakeApi((call) =>
      call < 3 ? { status: call === 1 ? 429 : 503, body: { message: 'slow down' } } : ok(1),
    );
    const client = new KaizenClient({ url: flaky.url, auth: 'none', baseDelayMs: 1 });
    expect((await client.putObservations([{}])).stored).toBe(1);
    expect(flaky.requests).toHaveLength(3);

    const down = await fakeApi(() => ({ status: 503, body: { message: 'unavailable' } }));
    const giving = new KaizenClient({ url: down.url, auth: 'none', baseDelayMs: 1, maxAttempts: 3 });
    await expect(giving.putObservations([{}])).rejects.toMatchObject({
      name: 'KaizenApiError',
      status: 503,
      message: 'POST observations: 503 unavailable',
    });
    expect(down.requests).toHaveLength(3);
  });

  it('does not retry a request the API refused (413, 415, 400): it throws with the status and message', async () => {
    const api = await fakeApi(() => ({
      status: 413,
      body: { message: '600 rows: a request carries at most 500' },
    }));
    const client = new KaizenClient({ url: api.url, auth: 'none' });
    const error = await client.putObservations([{}]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KaizenApiError);
    expect(error).toMatchObject({
      status: 413,
      message: 'POST observations: 413 600 rows: a request carries at most 500',
    });
    expect(api.requests).toHaveLength(1);
  });

  it('reads a model status, undefined for an unknown model, and refuses a batch size over 500', async () => {
    const api = await fakeApi((call) =>
      call === 1
        ? { status: 200, body: { modelId: 'churn', state: 'idle', champion: null, lastDecision: null } }
        : { status: 404, body: { message: 'model "ghost" is not registered' } },
    );
    const client = new KaizenClient({ url: api.url, auth: 'none' });
    expect(await client.getModelStatus('churn')).toMatchObject({ modelId: 'churn', state: 'idle' });
    expect(await client.getModelStatus('ghost')).toBeUndefined();
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v1/models/churn/status',
      'GET /v1/models/ghost/status',
    ]);
    expect(() => new KaizenClient({ url: api.url, auth: 'none', batchSize: 501 })).toThrow(
      'batchSize must be 1 to 500',
    );
  });
});
