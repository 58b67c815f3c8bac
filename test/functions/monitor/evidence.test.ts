import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookbackWindowCount } from '#domain/kpi-evidence.ts';
import { parsePolicy } from '#domain/policy.ts';
import { recentWindowCount } from '#domain/state-size.ts';
import { bucketWindows } from '#domain/windows.ts';
import { putObservations, queryObservations } from '#stores/observations.ts';
import { countCapacity } from '../../../bench/capacity.ts';
import { coveringStart, readEvidence, readKpiEvidence } from '../../../functions/monitor/monitor.ts';
import { useLocalStack } from '../../support/stack.ts';

const DAY = 86_400_000;
const { monitoring: _none, ...example } = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../../../examples/churn-policy.json'), 'utf8'),
);
const POLICY = parsePolicy(example);
const AS_OF = '2026-11-20T00:00:00.000Z';
const champion = (since: string) => ({ version: 1, artifactKey: 'm.json', since });

describe('coveringStart', () => {
  const lookback = Date.parse(AS_OF) - lookbackWindowCount(POLICY, recentWindowCount(POLICY)) * DAY;
  it.each([
    [
      'a reference period that overlaps the lookback extends the query to its start',
      '2026-10-01T00:00:00.000Z',
      Date.parse('2026-10-01T00:00:00.000Z'),
    ],
    ['a reference period inside the lookback leaves it as it is', '2026-11-01T00:00:00.000Z', lookback],
    ['a reference period far before the lookback gets its own query', '2025-01-01T00:00:00.000Z', lookback],
  ])('%s', (_case, since, start) => {
    expect(coveringStart(POLICY, champion(since), lookback, AS_OF)).toBe(start);
  });

  it('without a champion there is no reference period', () => {
    expect(coveringStart(POLICY, null, lookback, AS_OF)).toBe(lookback);
  });
});

describe('readEvidence', () => {
  const local = useLocalStack();

  it('reads the lookback and an overlapping reference period in one query, with the same evidence as two', async () => {
    const since = '2026-10-01T00:00:00.000Z';
    const rows = Array.from({ length: 50 }, (_, i) => ({
      type: 'kpi' as const,
      modelId: 'm',
      metric: 'campaign_precision',
      value: 0.3 + ((i * 7919) % 21) * 0.002,
      count: 400,
      timestamp: new Date(Date.parse(since) + i * DAY + 12 * 3_600_000).toISOString(),
    }));
    await putObservations(local.ctx, rows);
    const policy = { ...POLICY, modelId: 'm' };
    const counting = countCapacity(local.ctx.ddb);
    const { observed, history } = await readEvidence(local.ctx, 'm', policy, champion(since), AS_OF);
    counting.stop();
    expect(counting.capacity.calls).toEqual({ QueryCommand: 1 });
    // The same evidence from the two separate reads (the lookback, then the reference period's own query).
    const count = lookbackWindowCount(policy, recentWindowCount(policy));
    const start = new Date(Date.parse(AS_OF) - count * DAY).toISOString();
    const windows = bucketWindows(
      start,
      86_400,
      count,
      await queryObservations(local.ctx, 'm', { start, end: AS_OF }),
    );
    const evidence = await readKpiEvidence(
      local.ctx,
      'm',
      policy,
      champion(since),
      windows,
      recentWindowCount(policy) - 1,
    );
    expect(observed.evidence).toEqual(evidence);
    expect(Object.keys(evidence)).toEqual(['campaign_precision']);
    expect(history).toEqual(windows.slice(-recentWindowCount(policy)).slice(0, -1));
  });
});
