import { describe, expect, it } from 'vitest';
import { MonitoringSchema } from '#domain/policy.ts';
import { checkQuality, type Dataset, type QualityFinding } from '#domain/quality.ts';

type Values = readonly (number | null)[] | readonly (string | null)[];

/** A dataset from plain arrays: numbers become a Float64Array (null -> NaN), labels stay as they are. */
function dataset(
  source: string,
  columns: Record<string, Values>,
  typeViolations: Record<string, number> = {},
): Dataset {
  const typed = Object.fromEntries(
    Object.entries(columns).map(([name, values]) => [
      name,
      values.some((v) => typeof v === 'string')
        ? [...(values as (string | null)[])]
        : Float64Array.from(values as (number | null)[], (v) => v ?? Number.NaN),
    ]),
  );
  const rows = Object.values(columns)[0]?.length ?? 0;
  return { source, rows, columns: typed, absentColumns: [], typeViolations, problems: [] };
}

function policy(overrides: Record<string, unknown> = {}) {
  return MonitoringSchema.parse({
    reference: 'ref.csv',
    current: 'cur.csv',
    features: [
      { name: 'age', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
    ],
    minRows: 4,
    quality: { maxMissingRate: 0.25, maxOutOfRangeRate: 0.25, maxUnseenRate: 0.25 },
    ...overrides,
  });
}

const REFERENCE = dataset('ref.csv', {
  age: [20, 30, 40, 50, 60, null],
  plan: ['basic', 'pro', 'plus', 'basic', null, 'pro'],
});

function find(
  findings: QualityFinding[],
  feature: string | undefined,
  check: string,
): QualityFinding | undefined {
  return findings.find((f) => f.feature === feature && f.check === check);
}

describe('checkQuality', () => {
  it('passes a clean window and reports every check it made', () => {
    const current = dataset('cur.csv', {
      age: [25, 35, 45, 55, 20, 60],
      plan: ['pro', 'basic', 'basic', 'plus', 'pro', 'basic'],
    });
    const report = checkQuality(policy(), REFERENCE, current);
    expect(report).toMatchObject({ status: 'ok', passed: true, rows: 6 });
    expect(report.findings.map((f) => [f.feature, f.check, f.observed, f.passed])).toEqual([
      [undefined, 'row-count', 6, true],
      ['age', 'type', 0, true],
      ['age', 'missing-rate', 0, true],
      ['age', 'out-of-range-rate', 0, true],
      ['plan', 'missing-rate', 0, true],
      ['plan', 'unseen-rate', 0, true],
    ]);
  });

  it.each<[string, Values, number, boolean]>([
    ['at the limit', [20, null, 30, 40], 0.25, true],
    ['above the limit', [20, null, null, 40], 0.5, false],
    ['all missing', [null, null, null, null], 1, false],
  ])('missing numbers %s', (_case, age, observed, passed) => {
    const current = dataset('cur.csv', { age, plan: ['pro', 'pro', 'pro', 'pro'] });
    const finding = find(checkQuality(policy(), REFERENCE, current).findings, 'age', 'missing-rate');
    expect(finding).toMatchObject({ observed, threshold: 0.25, passed });
  });

  it.each<[string, Values, number, boolean]>([
    ['inside the reference range, bounds included', [20, 60, 35, 59.9], 0, true],
    ['one of four outside', [19.9, 30, 40, 50], 0.25, true],
    ['two of four outside, infinity included', [10, 30, Number.POSITIVE_INFINITY, 50], 0.5, false],
    ['counted over present values only', [10, null, null, 50], 0.5, false],
  ])('numbers %s', (_case, age, observed, passed) => {
    const current = dataset('cur.csv', { age, plan: ['pro', 'pro', 'pro', 'pro'] });
    const finding = find(checkQuality(policy(), REFERENCE, current).findings, 'age', 'out-of-range-rate');
    expect(finding).toMatchObject({ observed, threshold: 0.25, passed });
    expect(finding?.message).toContain('outside the reference range [20, 60]');
  });

  it.each<[string, Values, number, boolean, string]>([
    ['known categories only', ['pro', 'basic', 'plus', null], 0, true, '0 of 3 values'],
    ['one unseen of four', ['pro', 'gold', 'plus', 'basic'], 0.25, true, '1 of 4 values'],
    [
      'unseen categories above the limit',
      ['gold', 'gold', 'silver', 'pro'],
      0.75,
      false,
      '(e.g. "gold", "silver")',
    ],
  ])('labels with %s', (_case, plan, observed, passed, text) => {
    const current = dataset('cur.csv', { age: [20, 30, 40, 50], plan });
    const finding = find(checkQuality(policy(), REFERENCE, current).findings, 'plan', 'unseen-rate');
    expect(finding).toMatchObject({ observed, threshold: 0.25, passed });
    expect(finding?.message).toContain(text);
  });

  it('fails any value that is not a number, and does not count it as missing', () => {
    const current = dataset(
      'cur.csv',
      { age: [20, null, 30, 40], plan: ['pro', 'pro', 'pro', 'pro'] },
      { age: 1 },
    );
    const { findings, passed } = checkQuality(policy(), REFERENCE, current);
    expect(passed).toBe(false);
    expect(find(findings, 'age', 'type')).toMatchObject({ observed: 0.25, threshold: 0, passed: false });
    expect(find(findings, 'age', 'type')?.message).toBe('1 of 4 values are not numbers (25%; none allowed)');
    expect(find(findings, 'age', 'missing-rate')).toMatchObject({ observed: 0, passed: true });
  });

  it.each([
    [
      'the current window',
      REFERENCE,
      dataset('cur.csv', { plan: ['pro', 'pro', 'pro', 'pro'] }),
      'column-present',
      'column "age" is missing from cur.csv',
    ],
    [
      'the reference',
      dataset('ref.csv', { plan: ['pro'] }),
      dataset('cur.csv', { age: [1, 2, 3, 4], plan: ['pro', 'pro', 'pro', 'pro'] }),
      'reference-column',
      'column "age" is missing from the reference ref.csv',
    ],
    [
      'the reference (no usable value)',
      dataset('ref.csv', { age: [null, null], plan: ['pro', 'pro'] }),
      dataset('cur.csv', { age: [1, 2, 3, 4], plan: ['pro', 'pro', 'pro', 'pro'] }),
      'reference-column',
      'column "age" of the reference ref.csv has no numeric value',
    ],
  ])('fails a feature missing from %s, naming the column', (_case, reference, current, check, message) => {
    const report = checkQuality(policy(), reference, current);
    expect(report.passed).toBe(false);
    expect(report.findings.filter((f) => !f.passed)).toEqual([
      { feature: 'age', check, observed: 0, threshold: 1, passed: false, message },
    ]);
  });

  it('below minRows only checks the row count and the columns, and does not pass', () => {
    const current = dataset('cur.csv', { age: [1000, null, null], plan: ['gold', 'gold', 'gold'] });
    const report = checkQuality(policy(), REFERENCE, current);
    expect(report.status).toBe('insufficient-data');
    expect(report.passed).toBe(false);
    expect(report.findings).toEqual([
      {
        check: 'row-count',
        observed: 3,
        threshold: 4,
        passed: false,
        message: '3 rows in the window (at least 4 needed)',
      },
    ]);
  });

  it('uses the policy defaults (5%) when no limits are given', () => {
    const current = dataset('cur.csv', {
      age: Array.from({ length: 20 }, (_, i) => (i === 0 ? null : 30)),
      plan: Array.from({ length: 20 }, () => 'pro'),
    });
    const findings = checkQuality(policy({ quality: undefined }), REFERENCE, current).findings;
    expect(find(findings, 'age', 'missing-rate')).toMatchObject({
      observed: 0.05,
      threshold: 0.05,
      passed: true,
    });
  });

  it('rejects a numeric feature read as labels', () => {
    const current = dataset('cur.csv', { age: ['1', '2', '3', '4'], plan: ['pro', 'pro', 'pro', 'pro'] });
    expect(() => checkQuality(policy(), REFERENCE, current)).toThrow(
      'column "age" of cur.csv was read as labels',
    );
  });
});
