import { describe, expect, it } from 'vitest';
import { putObservations, queryObservations } from '#stores/observations.ts';
import { useLocalStack } from '../../support/stack.ts';

describe('observations (local DynamoDB)', () => {
  const local = useLocalStack();

  it('stores and reads back values past 2^53 as plain numbers (the SDK refuses or BigInts them by default)', async () => {
    const timestamp = '2026-11-20T01:00:00.000Z';
    await putObservations(local.ctx, [
      { type: 'drift', modelId: 'big', feature: 'f', method: 'psi', score: 1e16, timestamp },
      { type: 'kpi', modelId: 'big', metric: 'revenue', value: 1.5e21, count: 3, timestamp },
    ]);
    const rows = await queryObservations(local.ctx, 'big', {
      start: '2026-11-20T00:00:00.000Z',
      end: '2026-11-21T00:00:00.000Z',
    });
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ feature: 'f', score: 1e16 }),
        expect.objectContaining({ metric: 'revenue', value: 1.5e21 }),
      ]),
    );
    expect(JSON.stringify(rows)).toContain('1.5e+21');
  });
});
