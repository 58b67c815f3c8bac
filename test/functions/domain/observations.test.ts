import { describe, expect, it } from 'vitest';
import { isStorableNumber, parseObservation, storableNumber } from '#domain/observations.ts';

const kpi = {
  type: 'kpi',
  modelId: 'churn',
  metric: 'conversion_rate',
  value: 0.041,
  count: 5234,
  timestamp: '2026-11-20T00:00:00Z',
};
const drift = {
  type: 'drift',
  modelId: 'churn',
  feature: 'age',
  method: 'psi',
  score: 0.31,
  timestamp: '2026-11-20T00:00:00Z',
};

describe('parseObservation', () => {
  it('accepts values past 2^53 (stored as doubles) and offsets from -12:00 to +14:00', () => {
    expect(parseObservation({ ...drift, score: 1e16 }).ok).toBe(true);
    expect(parseObservation({ ...kpi, timestamp: '2026-11-20T14:00:00+14:00' }).ok).toBe(true);
    expect(parseObservation({ ...kpi, timestamp: '2026-11-20T00:00:00-12:00' }).ok).toBe(true);
  });

  it('accepts the documented KPI and drift rows and normalises timestamps', () => {
    expect(parseObservation(kpi)).toEqual({
      ok: true,
      observation: { ...kpi, timestamp: '2026-11-20T00:00:00.000Z' },
    });
    expect(parseObservation({ ...drift, timestamp: '2026-11-20T01:00:00+01:00' })).toEqual({
      ok: true,
      observation: { ...drift, timestamp: '2026-11-20T00:00:00.000Z' },
    });
  });

  it.each([
    ['a missing metric', { ...kpi, metric: undefined }, 'metric:'],
    ['NaN', { ...kpi, value: Number.NaN }, 'value: must be finite (not NaN or Infinity)'],
    ['Infinity', { ...drift, score: Number.POSITIVE_INFINITY }, 'score: must be finite'],
    ['a missing value', { ...kpi, value: undefined }, 'value: is required'],
    ['a negative count', { ...kpi, count: -3 }, 'count: must not be negative'],
    ['a fractional count', { ...kpi, count: 1.5 }, 'count: must be a whole number'],
    ['a value given as text', { ...kpi, value: '0.04' }, 'value: must be a number'],
    [
      'a timestamp without zone',
      { ...kpi, timestamp: '2026-11-20T00:00:00' },
      'timestamp: must be an ISO-8601 timestamp',
    ],
    ['an impossible date', { ...kpi, timestamp: '2026-13-45T00:00:00Z' }, 'timestamp: is not a real date'],
    [
      'an impossible offset',
      { ...kpi, timestamp: '2026-11-22T13:00:00+99:99' },
      'timestamp: has an impossible time-zone offset +99:99',
    ],
    [
      'an offset of a whole day',
      { ...kpi, timestamp: '2026-11-22T13:00:00+24:00' },
      'impossible time-zone offset',
    ],
    ['a value past 2^53 is fine, but not a count', { ...kpi, count: 1e300 }, 'count: must be below 1e126'],
    ['an unknown type', { ...kpi, type: 'latency' }, 'type must be "kpi" or "drift"'],
    ['a negative drift score', { ...drift, score: -0.1 }, 'score: must not be negative'],
    ['an unexpected field', { ...kpi, region: 'eu' }, 'region'],
    ['a value DynamoDB cannot store (1e200)', { ...kpi, value: 1e200 }, 'value: must be 0 or between 1e-130'],
    [
      'a value DynamoDB cannot store (1e-200)',
      { ...kpi, value: 1e-200 },
      'value: must be 0 or between 1e-130',
    ],
    ['a count DynamoDB cannot store', { ...kpi, count: 1e130 }, 'count: must be below 1e126'],
    [
      'a drift score DynamoDB cannot store',
      { ...drift, score: 5e-131 },
      'score: must be 0 or between 1e-130',
    ],
  ])('rejects %s with a reason naming the field', (_case, row, expected) => {
    const result = parseObservation(row);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(expected);
  });
});

describe('DynamoDB number range', () => {
  it.each([
    [0, true, 0],
    [1e-130, true, 1e-130],
    [9e-131, false, 0],
    [-1e-200, false, 0],
    [0.05, true, 0.05],
    [9.999e125, true, 9.999e125],
    [1e126, false, 9.99999999999999e125],
    [-1e300, false, -9.99999999999999e125],
  ])('%s: storable %s, stored as %s', (value, storable, stored) => {
    expect(isStorableNumber(value)).toBe(storable);
    expect(storableNumber(value)).toBe(stored);
    expect(isStorableNumber(storableNumber(value))).toBe(true);
  });
});
