import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { STALE_START_MS, startLoopOnce } from '#stores/starts.ts';
import { useLocalStack } from '../../support/stack.ts';

describe('startLoopOnce (local DynamoDB)', () => {
  const local = useLocalStack();
  const input = { modelId: 'churn', force: false, dryRun: false, asOf: '2026-11-20T00:00:00.000Z' };
  const marker = async (name: string) =>
    (
      await local.ctx.ddb.send(
        new GetCommand({ TableName: local.ctx.config.runsTable, Key: { pk: 'churn', sk: `START#${name}` } }),
      )
    ).Item;
  const leaveMarker = (name: string, ageMs: number) =>
    local.ctx.ddb.send(
      new PutCommand({
        TableName: local.ctx.config.runsTable,
        Item: {
          pk: 'churn',
          sk: `START#${name}`,
          name,
          status: 'starting',
          at: new Date(Date.now() - ageMs).toISOString(),
        },
      }),
    );

  beforeEach(() => {
    local.started.length = 0;
  });

  it('starts once, marks the start done, and calls a second start a duplicate', async () => {
    expect(await startLoopOnce(local.ctx, 'auto-a', input, 'sweep')).toBe('started');
    expect(await startLoopOnce(local.ctx, 'auto-a', input, 'event')).toBe('duplicate');
    expect(local.started).toEqual(['auto-a']);
    expect(await marker('auto-a')).toMatchObject({ status: 'started', source: 'sweep' });
  });

  it('takes over a start that died between its marker and the start, and starts it', async () => {
    await leaveMarker('auto-b', STALE_START_MS + 60_000);
    expect(await startLoopOnce(local.ctx, 'auto-b', input, 'sweep')).toBe('started');
    expect(local.started).toEqual(['auto-b']);
    expect(await marker('auto-b')).toMatchObject({ status: 'started' });
  });

  it('leaves a start that is still in progress alone', async () => {
    await leaveMarker('auto-c', 10_000);
    expect(await startLoopOnce(local.ctx, 'auto-c', input, 'sweep')).toBe('duplicate');
    expect(local.started).toEqual([]);
  });

  it('removes its marker when the start fails, so a retry can start it', async () => {
    const failing = local.stack.context({ start: () => Promise.reject(new Error('throttled')) });
    await expect(startLoopOnce(failing, 'auto-d', input, 'sweep')).rejects.toThrow('throttled');
    failing.close();
    expect(await marker('auto-d')).toBeUndefined();
    expect(await startLoopOnce(local.ctx, 'auto-d', input, 'sweep')).toBe('started');
  });
});
