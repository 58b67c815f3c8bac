import { describe, expect, it } from 'vitest';
import { EmptyDatasetError } from '#contracts/errors.ts';

import {
  computeMonitoring,
  computeMonitoringByFeature,
  currentDatasetKey,
  type FeatureResult,
  type FeatureSource,
} from '#domain/monitoring.ts';
import { MonitoringSchema } from '#domain/policy.ts';

import type { Dataset, DatasetColumn } from '#domain/quality.ts';

/** i * golden ratio mod 1: an evenly spread sequence, so two windows of one distribution match closely. */
function spread(n: number, offset: number): number[] {
  return Array.from({ length: n }, (_, i) => (offset + i * 0.6180339887498949) % 1);
}

/** Uniform numbers on [shift, shift + 10] (standard deviation 2.89). */
function numbers(n: number, offset: number, shift = 0): Float64Array {
  return Float64Array.from(spread(n, offset), (u) => shift + 10 * u);
}

/** Labels in the given proportions. */
function labels(n: number, offset: number, weights: Record<string, number>): string[] {
  return spread(n, offset).map((u) => {
    let rest = u;
    for (const [label, weight] of Object.entries(weights)) {
      rest -= weight;
      if (rest < 0) return label;
    }
    return Object.keys(weights).at(-1) as string;
  });
}

function dataset(source: string, columns: Record<string, DatasetColumn>): Dataset {
  const rows = Object.values(columns)[0]?.length ?? 0;
  return { source, rows, columns, absentColumns: [], typeViolations: {}, problems: [] };
}

const FEATURES = [
  { name: 'spend', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
  { name: 'mobile', type: 'binary' },
] as const;

function policy(overrides: Record<string, unknown> = {}) {
  return MonitoringSchema.parse({
    reference: 'r.csv',
    current: 'c.csv',
    features: FEATURES,
    minRows: 50,
    ...overrides,
  });
}

function window(n: number, offset: number, shift = { spend: 0, pro: 0.2, mobile: 0.6 }): Dataset {
  return dataset(`w${n}.csv`, {
    spend: numbers(n, offset, shift.spend),
    plan: labels(n, offset, { basic: 0.8 - shift.pro, pro: shift.pro, plus: 0.2 }),
    mobile: labels(n, offset, { yes: shift.mobile, no: 1 - shift.mobile }),
  });
}

const SMALL_REFERENCE = window(500, 0.1);
const STABLE = window(400, 0.2);
const SHIFTED = window(400, 0.3, { spend: 3, pro: 0.5, mobile: 0.3 });

function byName(features: FeatureResult[]): Record<string, FeatureResult> {
  return Object.fromEntries(features.map((f) => [f.feature, f]));
}

describe('computeMonitoring', () => {
  it.each([
    ['a stable window', STABLE, { spend: false, plan: false, mobile: false }, 0, false, []],
    [
      'a shifted window',
      SHIFTED,
      { spend: true, plan: true, mobile: true },
      1,
      true,
      ['spend:out-of-range-rate'],
    ],
  ])(
    'judges %s feature by feature and as a dataset',
    (_case, current, drifted, share, drift, failedChecks) => {
      const result = computeMonitoring(policy(), SMALL_REFERENCE, current);
      expect(result.status).toBe('ok');
      expect(result.rows).toBe(400);
      expect(result.referenceRows).toBe(500);
      expect(Object.fromEntries(result.features.map((f) => [f.feature, f.drifted]))).toEqual(drifted);
      expect(result.dataset).toMatchObject({ share, total: 3, drift, threshold: 0.5 });
      const failed = result.quality.findings.filter((f) => !f.passed).map((f) => `${f.feature}:${f.check}`);
      expect(failed).toEqual(failedChecks);
    },
  );

  it.each([
    [500, { spend: 'ks', plan: 'chisquare', mobile: 'ztest' }],
    [2000, { spend: 'wasserstein', plan: 'jensenshannon', mobile: 'jensenshannon' }],
  ])('with %i reference rows picks the default methods %j', (rows, methods) => {
    const result = computeMonitoring(policy(), window(rows, 0.7), STABLE);
    expect(Object.fromEntries(result.features.map((f) => [f.feature, f.method]))).toEqual(methods);
  });

  it('reports the p-value and statistic of tests, and the distance of distance methods', () => {
    const features = byName(computeMonitoring(policy(), SMALL_REFERENCE, SHIFTED).features);
    expect(features.spend).toMatchObject({
      method: 'ks',
      test: 'p-value',
      threshold: 0.05,
      severity: 'major',
    });
    expect(features.spend?.pValue).toBe(features.spend?.value);
    expect(features.spend?.statistic).toBeCloseTo(0.3, 2);
    expect(features.mobile?.statistic).toBeGreaterThan(5);
    const distances = byName(computeMonitoring(policy(), window(2000, 0.7), SHIFTED).features);
    expect(distances.spend).toMatchObject({ method: 'wasserstein', test: 'distance', threshold: 0.1 });
    expect(distances.spend?.pValue).toBeUndefined();
    expect(distances.spend?.value).toBeGreaterThan(0.9);
  });

  it.each([
    ['a method', { method: 'psi' }, 'psi', 0.1],
    ['a method and a threshold', { method: 'hellinger', threshold: 0.9 }, 'hellinger', 0.9],
    ['a threshold of the default method', { threshold: 1e-300 }, 'ks', 1e-300],
  ])("uses the policy's %s over the defaults", (_case, override, method, threshold) => {
    const features = [{ ...FEATURES[0], ...override }, FEATURES[1], FEATURES[2]];
    const spend = byName(computeMonitoring(policy({ features }), SMALL_REFERENCE, SHIFTED).features).spend;
    expect(spend).toMatchObject({ method, threshold });
    expect(spend?.drifted).toBe(method === 'hellinger' ? false : method === 'psi');
  });

  it('calls a window below minRows insufficient data: nothing drifts, however shifted', () => {
    const result = computeMonitoring(policy({ minRows: 500 }), SMALL_REFERENCE, SHIFTED);
    expect(result.status).toBe('insufficient-data');
    expect(result.dataset).toMatchObject({ drift: false, drifted: 0, total: 0, share: 0 });
    for (const feature of result.features) {
      expect(feature).toMatchObject({
        status: 'insufficient-data',
        drifted: false,
        severity: 'none',
        value: null,
      });
      expect(feature.reason).toBe('current window has 400 rows, fewer than minRows 500');
    }
    expect(result.quality.status).toBe('insufficient-data');
  });

  it('judges a feature with too few usable values as insufficient, and the others as usual', () => {
    const spend = SHIFTED.columns.spend as Float64Array;
    const sparse = dataset('c.csv', {
      ...SHIFTED.columns,
      spend: spend.map((v, i) => (i < 30 ? v : Number.NaN)),
    });
    const result = computeMonitoring(policy(), SMALL_REFERENCE, sparse);
    const features = byName(result.features);
    expect(features.spend).toMatchObject({ status: 'insufficient-data', drifted: false });
    expect(features.spend?.reason).toContain('30 usable rows of 400');
    expect(result.status).toBe('ok');
    expect(result.dataset).toMatchObject({ total: 2, drifted: 2, drift: true });
  });

  it.each([
    ['the current window', SMALL_REFERENCE, window(0, 0.9), 'the current window w0.csv has no rows'],
    ['the reference', window(0, 0.9), STABLE, 'the reference w0.csv has no rows'],
  ])('throws a named error for an empty %s', (_case, reference, current, message) => {
    expect(() => computeMonitoring(policy(), reference, current)).toThrow(EmptyDatasetError);
    expect(() => computeMonitoring(policy(), reference, current)).toThrow(message);
  });

  it.each([
    [
      'a column missing from the window',
      SMALL_REFERENCE,
      dataset('c.csv', { plan: STABLE.columns.plan as string[], mobile: STABLE.columns.mobile as string[] }),
      'column "spend" is missing from c.csv',
    ],
    [
      'a column missing from the reference',
      dataset('r.csv', {
        plan: SMALL_REFERENCE.columns.plan as string[],
        mobile: SMALL_REFERENCE.columns.mobile as string[],
      }),
      STABLE,
      'column "spend" is missing from the reference r.csv',
    ],
    [
      'a reference column without a usable value',
      dataset('r.csv', { ...SMALL_REFERENCE.columns, spend: new Float64Array(500).fill(Number.NaN) }),
      STABLE,
      'the reference has no usable value of "spend"',
    ],
  ])('marks %s as an error that never drifts and is not counted', (_case, reference, current, reason) => {
    const result = computeMonitoring(policy(), reference, current);
    expect(byName(result.features).spend).toMatchObject({
      status: 'error',
      drifted: false,
      value: null,
      reason,
    });
    expect(result.dataset.total).toBe(2);
    expect(result.quality.passed).toBe(false);
  });

  it('marks a binary feature whose reference has three categories as an error', () => {
    const features = [FEATURES[0], { name: 'plan', type: 'binary' }, FEATURES[2]];
    const plan = byName(computeMonitoring(policy({ features }), SMALL_REFERENCE, STABLE).features).plan;
    expect(plan).toMatchObject({ status: 'error', drifted: false });
    expect(plan?.reason).toContain('at most 2 reference categories, this one has 3');
  });

  it('drifts a categorical feature whose window has more unseen categories than maxUnseenRate', () => {
    const plan = (STABLE.columns.plan as string[]).map((value, i) => (i % 10 === 0 ? 'enterprise' : value));
    const current = dataset('c.csv', { ...STABLE.columns, plan });
    const result = computeMonitoring(policy(), SMALL_REFERENCE, current);
    expect(byName(result.features).plan).toMatchObject({ drifted: true, severity: 'moderate' });
    expect(byName(result.features).plan?.reason).toContain(
      '10.0% of current rows are in categories the reference never saw',
    );
    const relaxed = policy({ quality: { maxUnseenRate: 0.2 } });
    expect(byName(computeMonitoring(relaxed, SMALL_REFERENCE, current).features).plan?.drifted).toBe(false);
  });

  it.each([
    [0.5, true],
    [0.67, false],
  ])('with driftShare %s, 2 drifted features of 3 are dataset drift: %s', (driftShare, drift) => {
    const current = dataset('c.csv', { ...SHIFTED.columns, mobile: STABLE.columns.mobile as string[] });
    const result = computeMonitoring(policy({ driftShare }), SMALL_REFERENCE, current);
    expect(result.dataset).toMatchObject({ drifted: 2, total: 3, drift, driftedFeatures: ['spend', 'plan'] });
    expect(result.dataset.share).toBeCloseTo(2 / 3, 12);
  });
});

describe('currentDatasetKey', () => {
  it.each([
    ['windows/{date}.parquet', '2026-11-20T23:59:59.000Z', 'windows/2026-11-20.parquet'],
    ['dt={date}/part-{date}.csv', '2026-01-02T00:00:00Z', 'dt=2026-01-02/part-2026-01-02.csv'],
    ['static/current.jsonl', '2026-01-02T00:00:00Z', 'static/current.jsonl'],
  ])('%s starting %s is %s', (template, start, key) => {
    expect(currentDatasetKey(template, start)).toBe(key);
  });

  it('rejects a window start that is not a date', () => {
    expect(() => currentDatasetKey('{date}.csv', 'yesterday')).toThrow(
      'window start "yesterday" is not a date',
    );
  });
});

/** A dataset handed out one column at a time, recording which columns were read. */
function source(dataset: Dataset, reads: string[]): FeatureSource {
  return {
    source: dataset.source,
    rows: dataset.rows,
    has: (name) => dataset.columns[name] !== undefined,
    column: async ({ name }) => {
      reads.push(`${dataset.source}:${name}`);
      return {
        values: dataset.columns[name] as DatasetColumn,
        typeViolations: dataset.typeViolations[name] ?? 0,
      };
    },
  };
}

describe('computeMonitoringByFeature', () => {
  const withoutPlan = (d: Dataset): Dataset => {
    const { plan: _plan, ...columns } = d.columns;
    return { ...d, columns, absentColumns: ['plan'] };
  };
  const violating = { ...SHIFTED, typeViolations: { spend: 3 } };
  it.each([
    ['a stable window', policy(), SMALL_REFERENCE, STABLE],
    ['a shifted window', policy(), SMALL_REFERENCE, SHIFTED],
    ['a large reference (distances)', policy(), window(2000, 0.7), SHIFTED],
    ['a window below minRows', policy({ minRows: 500 }), SMALL_REFERENCE, SHIFTED],
    ['a column absent from the window', policy(), SMALL_REFERENCE, withoutPlan(SHIFTED)],
    ['a column absent from the reference', policy(), withoutPlan(SMALL_REFERENCE), STABLE],
    ['values that are not numbers', policy(), SMALL_REFERENCE, violating],
  ])('gives what computeMonitoring gives on whole datasets: %s', async (_case, p, reference, current) => {
    const reads: string[] = [];
    const result = await computeMonitoringByFeature(p, source(reference, reads), source(current, reads));
    expect(result).toEqual(computeMonitoring(p, reference, current));
  });

  it('reads each feature of both datasets once, in the policy’s order, and nothing below minRows', async () => {
    const reads: string[] = [];
    await computeMonitoringByFeature(policy(), source(SMALL_REFERENCE, reads), source(STABLE, reads));
    expect(reads).toEqual(
      FEATURES.flatMap(({ name }) => [`${SMALL_REFERENCE.source}:${name}`, `${STABLE.source}:${name}`]),
    );
    const none: string[] = [];
    await computeMonitoringByFeature(
      policy({ minRows: 500 }),
      source(SMALL_REFERENCE, none),
      source(STABLE, none),
    );
    expect(none).toEqual([]);
  });
});
