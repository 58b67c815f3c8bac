import { describe, expect, it } from 'vitest';
import type { KpiObservation } from '#domain/observations.ts';
import { putObservations, putObservationsOnce, queryObservations } from '#stores/observations.ts';
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

  it('stores each key once: a retry is unchanged, another value is a conflict naming the fields, and the first value stays', async () => {
    const row = (value: number, line = 1): { line: number; observation: KpiObservation } => ({
      line,
      observation: {
        type: 'kpi',
        modelId: 'once',
        metric: 'precision',
        value,
        count: 10,
        timestamp: '2026-11-20T01:00:00.000Z',
      },
    });
    const other = {
      ...row(0.5, 2),
      observation: { ...row(0.5).observation, timestamp: '2026-11-20T02:00:00.000Z' },
    };
    expect(await putObservationsOnce(local.ctx, [row(0.3), other], () => 86_400)).toEqual([
      { status: 'stored' },
      { status: 'stored' },
    ]);
    const [retry, conflict] = [
      await putObservationsOnce(local.ctx, [row(0.3)]),
      await putObservationsOnce(local.ctx, [row(0.4)]),
    ];
    expect(retry).toEqual([{ status: 'unchanged' }]);
    expect(conflict).toEqual([
      {
        status: 'conflict',
        reason:
          'conflicts with the stored observation of the same modelId, metric and timestamp (value: stored 0.3, sent 0.4); ' +
          'stored observations are never overwritten',
      },
    ]);
    const rows = await queryObservations(local.ctx, 'once', {
      start: '2026-11-20T00:00:00.000Z',
      end: '2026-11-21T00:00:00.000Z',
    });
    expect(rows.map((r) => (r as KpiObservation).value)).toEqual([0.3, 0.5]);
  });

  it('writes 250 new rows through the batched reads and the conditional puts', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => ({
      line: i + 1,
      observation: {
        type: 'kpi' as const,
        modelId: 'many',
        metric: 'm',
        value: i,
        count: 1,
        timestamp: new Date(Date.UTC(2026, 10, 20) + i * 60_000).toISOString(),
      },
    }));
    const outcomes = await putObservationsOnce(local.ctx, rows);
    expect(outcomes.filter((o) => o.status === 'stored')).toHaveLength(250);
    const again = await putObservationsOnce(local.ctx, rows);
    expect(again.filter((o) => o.status === 'unchanged')).toHaveLength(250);
  });
});
