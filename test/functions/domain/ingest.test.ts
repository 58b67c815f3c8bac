import { describe, expect, it } from 'vitest';
import { type IngestRow, ingestRows } from '#domain/ingest.ts';
import type { Observation } from '#domain/observations.ts';
import { parsePolicy } from '#domain/policy.ts';

const policy = parsePolicy({
  modelId: 'churn',
  kpis: [{ metric: 'precision', floor: 0.1 }],
  training: { dataset: 'd.csv', label: 'y', features: ['a'] },
  evaluation: { holdout: 'h.csv' },
});
const policies = new Map([['churn', policy]]);
const kpi = (extra: Record<string, unknown> = {}) => ({
  type: 'kpi',
  modelId: 'churn',
  metric: 'precision',
  value: 0.3,
  count: 10,
  timestamp: '2026-11-20T00:00:00Z',
  ...extra,
});

async function ingest(values: unknown[], batchSize = 500) {
  async function* rows(): AsyncGenerator<IngestRow> {
    for (const [index, value] of values.entries()) yield { line: index + 1, value };
  }
  const batches: Observation[][] = [];
  const result = await ingestRows(rows(), policies, async (batch) => batches.push(batch), batchSize);
  return { ...result, batches };
}

describe('ingestRows', () => {
  it('stores a repeated identical row once and counts it', async () => {
    const result = await ingest([kpi(), kpi(), kpi({ timestamp: '2026-11-20T00:00:00.000Z' })]);
    expect(result).toMatchObject({ stored: 1, duplicates: 2, rejected: [] });
  });

  it('rejects a row that conflicts with an earlier one (same metric and time, other value)', async () => {
    const result = await ingest([kpi(), kpi({ value: 0.4 })]);
    expect(result.stored).toBe(1);
    expect(result.rejected).toEqual([
      { line: 2, reason: 'conflicts with line 1: same modelId, metric and timestamp, other values' },
    ]);
    expect(result.batches.flat()[0]?.type === 'kpi' && result.batches.flat()[0]).toMatchObject({
      value: 0.3,
    });
  });

  it('stores rows of a metric no rule uses, and counts them per model and metric', async () => {
    const result = await ingest([
      kpi({ metric: 'precison' }),
      kpi({ metric: 'precison', timestamp: '2026-11-20T01:00:00Z' }),
    ]);
    expect(result.stored).toBe(2);
    expect(result.unknownMetrics).toEqual([{ modelId: 'churn', metric: 'precison', rows: 2 }]);
  });

  it('rejects unknown models and invalid rows, and stores the valid ones in batches', async () => {
    const values = [
      ...Array.from({ length: 5 }, (_, i) => kpi({ timestamp: `2026-11-20T0${i}:00:00Z` })),
      kpi({ modelId: 'fraud' }),
      kpi({ value: 'high' }),
    ];
    const result = await ingest(values, 2);
    expect(result.batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
    expect(result.rejected.map((row) => [row.line, row.reason.split(':')[0]])).toEqual([
      [6, 'modelId'],
      [7, 'value'],
    ]);
  });
});
