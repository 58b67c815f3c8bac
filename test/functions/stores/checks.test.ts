import { describe, expect, it } from 'vitest';
import type { ModelCheck } from '#domain/run.ts';
import { latestChecks, putChecks, splitBySize } from '#stores/checks.ts';
import { useLocalStack } from '../../support/stack.ts';

describe('splitBySize', () => {
  it.each([
    [[], 10, []],
    [['a', 'b', 'c'], 1000, [['a', 'b', 'c']]],
    [['aaaa', 'bbbb', 'cccc'], 8, [['aaaa'], ['bbbb'], ['cccc']]],
    [['aaaa', 'bbbb', 'cccc'], 16, [['aaaa', 'bbbb'], ['cccc']]],
    [['x'.repeat(50)], 8, [['x'.repeat(50)]]],
  ])('splits %j at %i bytes into %j, in order', (items, limit, groups) => {
    expect(splitBySize(items, limit)).toEqual(groups);
  });
});

describe('putChecks (local DynamoDB)', () => {
  const local = useLocalStack();

  it('splits a batch beyond the 400 KB item limit into parts, and reads every check back', async () => {
    const checks: ModelCheck[] = Array.from({ length: 1000 }, (_, i) => ({
      modelId: `model-${String(i).padStart(4, '0')}`,
      asOf: '2026-11-20T00:00:00.000Z',
      action: 'none',
      // Long summaries are cut to 1,000 characters: 1,000 of them are still ~1 MB.
      summary: `healthy ${'.'.repeat(5000)}`,
    }));
    await putChecks(local.ctx, 'sweep', '2026-11-20T01:00:00.000Z', 'big', checks);
    const latest = await latestChecks(local.ctx, ['2026-11-20']);
    expect(latest.size).toBe(1000);
    expect(latest.get('model-0999')?.summary).toHaveLength(1000);
  });
});
