import { describe, expect, it } from 'vitest';
import { acquireLock, getLock, getLocks, releaseLock } from '#stores/lock.ts';
import { useLocalStack } from '../../support/stack.ts';

describe('getLocks (local DynamoDB)', () => {
  const local = useLocalStack();
  const now = new Date('2026-11-20T00:00:00.000Z');
  const hour = new Date('2026-11-20T01:00:00.000Z');

  it('reads each held lock as getLock does, expired ones included, and nothing for free models', async () => {
    await acquireLock(local.ctx, 'held', 'run-a', hour, now);
    await acquireLock(local.ctx, 'expired', 'run-b', new Date('2026-11-19T00:00:00.000Z'), now);
    await acquireLock(local.ctx, 'released', 'run-c', hour, now);
    await releaseLock(local.ctx, 'released', 'run-c');

    const locks = await getLocks(local.ctx, ['held', 'expired', 'released', 'never', 'held']);

    expect([...locks.keys()].sort()).toEqual(['expired', 'held']);
    expect(locks.get('held')).toEqual(await getLock(local.ctx, 'held'));
    expect(locks.get('held')).toEqual({
      owner: 'run-a',
      expiresAt: hour.toISOString(),
      acquiredAt: now.toISOString(),
    });
    expect(locks.get('expired')?.owner).toBe('run-b');
  });

  it('reads more models than one batch holds', async () => {
    const ids = Array.from({ length: 230 }, (_, i) => `fleet-${i}`);
    const held = ids.filter((_, i) => i % 7 === 0);
    for (const id of held) await acquireLock(local.ctx, id, `run-${id}`, hour, now);

    const locks = await getLocks(local.ctx, ids);

    expect([...locks.keys()].sort()).toEqual([...held].sort());
    expect(locks.get('fleet-224')?.owner).toBe('run-fleet-224');
  });

  it('reads nothing for no models', async () => {
    expect((await getLocks(local.ctx, [])).size).toBe(0);
  });
});
