import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '#local/stack.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { STALE_START_MS, startLoopOnce } from '#stores/starts.ts';

describe('startLoopOnce (local DynamoDB)', () => {
  let stack: LocalStack;
  let ctx: KaizenContext;
  let home: string;
  let started: string[];
  const input = { modelId: 'churn', force: false, dryRun: false, asOf: '2026-11-20T00:00:00.000Z' };
  const marker = async (name: string) =>
    (
      await ctx.ddb.send(
        new GetCommand({ TableName: ctx.config.runsTable, Key: { pk: 'churn', sk: `START#${name}` } }),
      )
    ).Item;
  const leaveMarker = (name: string, ageMs: number) =>
    ctx.ddb.send(
      new PutCommand({
        TableName: ctx.config.runsTable,
        Item: {
          pk: 'churn',
          sk: `START#${name}`,
          name,
          status: 'starting',
          at: new Date(Date.now() - ageMs).toISOString(),
        },
      }),
    );

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'kaizen-starts-'));
    stack = await startLocalStack({ home });
    ctx = stack.context({
      async start(name) {
        started.push(name);
      },
    });
  });
  beforeEach(() => {
    started = [];
  });
  afterAll(async () => {
    ctx.close();
    await stack.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('starts once, marks the start done, and calls a second start a duplicate', async () => {
    expect(await startLoopOnce(ctx, 'auto-a', input, 'sweep')).toBe('started');
    expect(await startLoopOnce(ctx, 'auto-a', input, 'event')).toBe('duplicate');
    expect(started).toEqual(['auto-a']);
    expect(await marker('auto-a')).toMatchObject({ status: 'started', source: 'sweep' });
  });

  it('takes over a start that died between its marker and the start, and starts it', async () => {
    await leaveMarker('auto-b', STALE_START_MS + 60_000);
    expect(await startLoopOnce(ctx, 'auto-b', input, 'sweep')).toBe('started');
    expect(started).toEqual(['auto-b']);
    expect(await marker('auto-b')).toMatchObject({ status: 'started' });
  });

  it('leaves a start that is still in progress alone', async () => {
    await leaveMarker('auto-c', 10_000);
    expect(await startLoopOnce(ctx, 'auto-c', input, 'sweep')).toBe('duplicate');
    expect(started).toEqual([]);
  });

  it('removes its marker when the start fails, so a retry can start it', async () => {
    const failing = stack.context({ start: () => Promise.reject(new Error('throttled')) });
    await expect(startLoopOnce(failing, 'auto-d', input, 'sweep')).rejects.toThrow('throttled');
    failing.close();
    expect(await marker('auto-d')).toBeUndefined();
    expect(await startLoopOnce(ctx, 'auto-d', input, 'sweep')).toBe('started');
  });
});
