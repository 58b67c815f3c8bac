import { describe, expect, it } from 'vitest';
import { canonicalJson, type IngestRow, ingestRows, type StoreOutcome } from '#domain/ingest.ts';
import { type Observation, observationKey } from '#domain/observations.ts';
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

async function ingest(
  values: unknown[],
  batchSize = 500,
  stored = new Map<string, string>(),
  maxRejected?: number,
) {
  async function* rows(): AsyncGenerator<IngestRow> {
    for (const [index, value] of values.entries()) yield { line: index + 1, value };
  }
  const batches: Observation[][] = [];
  // A store keyed as the metrics table is: the first value under a key stays.
  const store = async (batch: readonly { observation: Observation }[]): Promise<StoreOutcome[]> => {
    batches.push(batch.map((row) => row.observation));
    return batch.map(({ observation }) => {
      const key = `${observation.modelId}|${observationKey(observation)}`;
      const json = canonicalJson(observation);
      const earlier = stored.get(key);
      if (earlier === undefined) {
        stored.set(key, json);
        return { status: 'stored' };
      }
      return earlier === json
        ? { status: 'unchanged' }
        : { status: 'conflict', reason: 'conflicts with the stored one' };
    });
  };
  const result = await ingestRows(rows(), async (id) => policies.get(id), store, {
    batchSize,
    ...(maxRejected === undefined ? {} : { maxRejected }),
  });
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

  it('leaves a row already stored with the same values unchanged and rejects one stored with other values', async () => {
    const stored = new Map<string, string>();
    await ingest([kpi()], 500, stored);
    const again = await ingest([kpi(), kpi({ timestamp: '2026-11-21T00:00:00Z', value: 0.5 })], 500, stored);
    expect(again).toMatchObject({ stored: 1, unchanged: 1, rejected: [] });
    const changed = await ingest([kpi({ value: 0.9 })], 500, stored);
    expect(changed).toMatchObject({
      stored: 0,
      unchanged: 0,
      rejected: [{ line: 1, reason: 'conflicts with the stored one' }],
    });
  });

  it('finds a conflict across batches through the store, and names the newest stored row of each model', async () => {
    const result = await ingest(
      [
        kpi(),
        kpi({ timestamp: '2026-11-22T00:00:00Z' }),
        kpi({ value: 0.4 }),
        kpi({ timestamp: '2026-11-21T00:00:00Z' }),
      ],
      2,
    );
    expect(result).toMatchObject({ stored: 3, rejectedCount: 1, rejected: [{ line: 3 }] });
    expect(result.newest).toEqual([expect.objectContaining({ timestamp: '2026-11-22T00:00:00.000Z' })]);
  });

  it('keeps at most maxRejected rejected rows and counts them all', async () => {
    const result = await ingest(
      Array.from({ length: 10 }, () => kpi({ value: 'bad' })),
      500,
      new Map(),
      3,
    );
    expect(result.rejected.map((row) => row.line)).toEqual([1, 2, 3]);
    expect(result.rejectedCount).toBe(10);
  });
});
