import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorResponseSchema, IngestResponseSchema, ModelStatusSchema } from '#domain/api.ts';
import { cliIn } from '../support/cli.ts';
import { precision, ROOT } from '../support/loop.ts';

// The HTTPS API's handlers over HTTP, through `kaizen serve` in its own process on the local stack.

let home: string;
let server: ChildProcess;
let url: string;
const { kaizen } = cliIn(() => home);

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-serve-'));
  expect((await kaizen('models', 'put', join(ROOT, 'examples/churn-policy.json'))).code).toBe(0);
  server = spawn(process.execPath, [join(ROOT, 'bin/kaizen.js'), '--home', home, 'serve', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout?.on('data', (data: Buffer) => {
      out += data.toString();
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (found?.[1]) resolve(found[1]);
    });
    server.once('exit', (code) => reject(new Error(`kaizen serve exited with ${code}: ${out}`)));
  });
}, 60_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  if (home) await rm(home, { recursive: true, force: true });
});

const row = (extra: Record<string, unknown> = {}) => ({
  ...precision('2026-11-20T00:00:00Z', 0.3),
  ...extra,
});

async function post(body: unknown, contentType = 'application/json') {
  const response = await fetch(`${url}/observations`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as unknown,
  };
}

describe('kaizen serve: POST /observations', () => {
  it('201 with the stored count; the same batch again is 201 with every row unchanged', async () => {
    const batch = { observations: [row(), row({ timestamp: '2026-11-20T01:00:00Z', value: 0.28 })] };
    const first = await post(batch);
    expect(first).toEqual({
      status: 201,
      type: 'application/json',
      body: { stored: 2, unchanged: 0, duplicates: 0, rejected: [], unknownMetrics: [] },
    });
    expect(IngestResponseSchema.parse(first.body)).toEqual(first.body);
    expect((await post(batch)).body).toMatchObject({ stored: 0, unchanged: 2 });
  });

  it('207 with line-by-line errors when some rows are rejected, the good ones stored', async () => {
    const result = await post({
      observations: [
        row({ timestamp: '2026-11-20T02:00:00Z' }),
        row({ count: -3 }),
        row({ modelId: 'fraud' }),
        row({ value: 0.9 }),
      ],
    });
    expect(result.status).toBe(207);
    expect(result.body).toEqual({
      stored: 1,
      unchanged: 0,
      duplicates: 0,
      rejected: [
        { line: 2, reason: 'count: must not be negative' },
        { line: 3, reason: 'modelId: model "fraud" is not registered' },
        {
          line: 4,
          reason: expect.stringMatching(
            /^conflicts with the stored observation .*\(value: stored 0\.3, sent 0\.9\)/,
          ),
        },
      ],
      unknownMetrics: [],
    });
  });

  it('422 when no row could be stored', async () => {
    const result = await post({ observations: [row({ value: 'high' }), { type: 'kpi' }] });
    expect(result.status).toBe(422);
    const body = IngestResponseSchema.parse(result.body);
    expect(body.stored).toBe(0);
    expect(body.rejected.map((r) => r.line)).toEqual([1, 2]);
  });

  it.each([
    [
      'an oversized batch',
      { observations: Array.from({ length: 501 }, () => row()) },
      'application/json',
      413,
      /501 rows: a request carries at most 500/,
    ],
    ['bad JSON', '{"observations": [', 'application/json', 400, /^the body is not JSON/],
    [
      'a body without observations',
      { rows: [row()] },
      'application/json',
      400,
      /^the body must be \{"observations"/,
    ],
    ['an empty batch', { observations: [] }, 'application/json', 400, /^the body must be/],
    [
      'a wrong content type',
      'type,modelId\nkpi,churn',
      'text/csv',
      415,
      /^Content-Type must be application\/json, got "text\/csv"/,
    ],
  ])('refuses %s with %s', async (_case, body, contentType, status, message) => {
    const result = await post(body, contentType);
    expect(result.status).toBe(status);
    expect(ErrorResponseSchema.parse(result.body).message).toMatch(message);
  });
});

describe('kaizen serve: GET /models/{id}/status', () => {
  it("answers a registered model's state, champion and last decision", async () => {
    const response = await fetch(`${url}/models/churn/status`);
    expect(response.status).toBe(200);
    const body = ModelStatusSchema.parse(await response.json());
    expect(body).toEqual({ modelId: 'churn', state: 'idle', champion: null, lastDecision: null });
  });

  it('404 for a model nobody registered, and for a path the API does not have', async () => {
    const missing = await fetch(`${url}/models/ghost/status`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'model "ghost" is not registered' });
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
  });
});
