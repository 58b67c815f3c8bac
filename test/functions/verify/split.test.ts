import { describe, expect, it } from 'vitest';
import { type KpiObservation, observationKey, parseObservation } from '#domain/observations.ts';
import { splitByVersion } from '../../../functions/verify/verify.ts';

const kpi = (value: number, version?: number): KpiObservation => ({
  type: 'kpi',
  modelId: 'churn',
  metric: 'conversion',
  value,
  count: 100,
  timestamp: '2026-11-20T06:00:00.000Z',
  ...(version === undefined ? {} : { version }),
});

describe('KPI rows split by serving version', () => {
  it('keeps rows of different versions at one time apart, and totals apart from both', () => {
    expect(new Set([kpi(0.1), kpi(0.1, 1), kpi(0.1, 2)].map(observationKey)).size).toBe(3);
    expect(observationKey(kpi(0.1, 2))).toBe('2026-11-20T06:00:00.000Z#kpi#conversion#v2');
  });

  it.each([
    [{ ...kpi(0.1), version: 0 }, 'version: must be at least 1'],
    [{ ...kpi(0.1), version: 1.5 }, 'version: must be a whole number'],
  ])('refuses %j', (row, reason) => {
    expect(parseObservation(row)).toMatchObject({ ok: false, reason: expect.stringContaining(reason) });
  });

  it.each([
    [
      'both versions reported',
      [kpi(0.3, 1), kpi(0.2, 2), kpi(0.25)],
      { version: 2, previousVersion: 1 },
      [1, 1],
    ],
    ['only totals', [kpi(0.3), kpi(0.2)], { version: 2, previousVersion: 1 }, undefined],
    ['only the candidate', [kpi(0.2, 2)], { version: 2, previousVersion: 1 }, undefined],
    ['a first champion', [kpi(0.2, 1)], { version: 1, previousVersion: null }, undefined],
  ] as const)('%s', (_name, rows, deployment, sizes) => {
    const split = splitByVersion(rows, deployment);
    if (sizes === undefined) expect(split).toBeUndefined();
    else expect([split?.candidate.length, split?.champion.length]).toEqual(sizes);
  });
});
