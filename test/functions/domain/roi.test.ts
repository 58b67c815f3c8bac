import { describe, expect, it } from 'vitest';
import { modelMonthlyCost, runCost } from '#domain/cost.ts';
import { parsePolicy } from '#domain/policy.ts';
import {
  deployPeriods,
  deployRois,
  type KpiRow,
  kpiUplift,
  newcombeInterval,
  type RunSummary,
  verifiedValues,
  welchInterval,
} from '#domain/roi.ts';

const windows = {
  before: { start: '2026-11-01T00:00:00.000Z', end: '2026-11-08T00:00:00.000Z' },
  after: { start: '2026-11-08T00:00:00.000Z', end: '2026-11-15T00:00:00.000Z' },
};
const row = (value: number, count: number, timestamp: string, extra: Partial<KpiRow> = {}): KpiRow => ({
  metric: 'conversion',
  value,
  count,
  timestamp,
  ...extra,
});

describe('ROI of a deploy, against hand-computed figures', () => {
  // Rate: 100 conversions of 1,000 before, 120 of 1,000 after; a conversion is worth 12.5 USD.
  // z = 1.959964 (95%); Wilson p1 = 0.10, n = 1000: z²/n = 0.0038415, centre = (0.1 + 0.0019207) / 1.0038415
  //   = 0.101531, half = z·√(0.1·0.9/1000 + z²/(4·1000²)) / 1.0038415 = 1.959964·0.0095373 / 1.0038415 = 0.018621
  //   → [0.082909, 0.120152]; likewise p2 = 0.12 → [0.101299, 0.141609].
  // Newcombe: d = 0.02; L = 0.02 − √((0.12 − 0.101299)² + (0.120152 − 0.10)²) = 0.02 − √(0.00034973 + 0.00040610)
  //   = 0.02 − 0.027492 = −0.007492; U = 0.02 + √((0.141609 − 0.12)² + (0.10 − 0.082909)²) = 0.02 + 0.027551
  //   = 0.047551. Money: 0.02 × 1,000 trials × 12.5 = 250 USD, interval [−93.65, 594.38].
  it('a rate: Newcombe-Wilson interval of the difference and its money', () => {
    const rule = {
      metric: 'conversion',
      direction: 'higher' as const,
      kind: 'rate' as const,
      confidence: 0.95,
      value: { perUnit: 12.5, currency: 'USD' },
    };
    const result = kpiUplift(
      rule,
      [row(0.1, 400, '2026-11-02T12:00:00Z'), row(0.1, 600, '2026-11-03T12:00:00Z')],
      [row(0.12, 1000, '2026-11-09T12:00:00Z')],
      windows,
    );
    expect(result.method).toBe('newcombe-wilson');
    expect(result.before).toMatchObject({ value: 0.1, count: 1000, rows: 2 });
    expect(result.after).toMatchObject({ value: 0.12, count: 1000, rows: 1 });
    expect(result.uplift).toBeCloseTo(0.02, 12);
    expect(result.lower).toBeCloseTo(-0.007492, 5);
    expect(result.upper).toBeCloseTo(0.047551, 5);
    expect(result.relative).toBeCloseTo(0.2, 12);
    expect(result.money?.value).toBeCloseTo(250, 9);
    expect(result.money?.lower).toBeCloseTo(-93.65, 1);
    expect(result.money?.upper).toBeCloseTo(594.38, 1);
    expect(result.money?.currency).toBe('USD');
  });

  it('a rate where lower is better: the uplift is the fall, its interval mirrored', () => {
    const rule = {
      metric: 'conversion',
      direction: 'lower' as const,
      kind: 'rate' as const,
      confidence: 0.95,
    };
    const result = kpiUplift(
      rule,
      [row(0.12, 1000, '2026-11-02T12:00:00Z')],
      [row(0.1, 1000, '2026-11-09T12:00:00Z')],
      windows,
    );
    // Same numbers as above with the groups swapped: d = 0.10 − 0.12 = −0.02, good direction +0.02.
    expect(result.uplift).toBeCloseTo(0.02, 12);
    expect(result.lower).toBeCloseTo(-0.007492, 5);
    expect(result.upper).toBeCloseTo(0.047551, 5);
    expect(result.money).toBeUndefined();
  });

  // Mean: before two rows (50 samples at 48, sd 10; 50 at 52, sd 10): pooled mean 50, pooled variance
  //   (49·100 + 49·100 + 50·(48−50)² + 50·(52−50)²) / 99 = 10,200 / 99 = 103.0303; after 100 samples at 53, sd 12.
  // Welch: se = √(103.0303/100 + 144/100) = √2.470303 = 1.571720; df = 2.470303² / ((1.030303²)/99 + (1.44²)/99)
  //   = 6.102397 / 0.031668 = 192.70; t(0.975, 192.70) = 1.972351; d = 3, CI 3 ± 3.099983 = [−0.09998, 6.09998].
  it('a mean: Welch interval on the pooled per-sample variance', () => {
    const rule = {
      metric: 'conversion',
      direction: 'higher' as const,
      kind: 'mean' as const,
      confidence: 0.95,
    };
    const result = kpiUplift(
      rule,
      [row(48, 50, '2026-11-02T12:00:00Z', { sd: 10 }), row(52, 50, '2026-11-03T12:00:00Z', { sd: 10 })],
      [row(53, 100, '2026-11-09T12:00:00Z', { sd: 12 })],
      windows,
    );
    expect(result.method).toBe('welch');
    expect(result.before.value).toBeCloseTo(50, 12);
    expect(result.uplift).toBeCloseTo(3, 12);
    expect(result.lower).toBeCloseTo(-0.09998, 4);
    expect(result.upper).toBeCloseTo(6.09998, 4);
  });

  it('Welch agrees with scipy.stats (50 ± 10 vs 53 ± 12, n = 100 each: df 191.76, CI [−0.0810, 6.0810])', () => {
    const w = welchInterval(50, 100, 100, 53, 144, 100, 0.95);
    expect(w.df).toBeCloseTo(191.764, 2);
    expect(w.lower).toBeCloseTo(-0.081006, 4);
    expect(w.upper).toBeCloseTo(6.081006, 4);
    const n = newcombeInterval(100, 1000, 120, 1000, 0.95);
    expect(n.lower).toBeCloseTo(-0.0074922, 6);
  });

  it('says why there is no figure instead of inventing one', () => {
    const rule = { metric: 'conversion', direction: 'higher' as const, confidence: 0.95 };
    expect(kpiUplift(rule, [], [row(0.1, 10, '2026-11-09T00:00:00Z')], windows).missing).toBe(
      'no rows before the deploy',
    );
    const mean = { ...rule, kind: 'mean' as const };
    // Means without spreads fall back to their rows; one row each is too few for an interval.
    const single = kpiUplift(
      mean,
      [row(3, 10, '2026-11-02T00:00:00Z')],
      [row(4, 10, '2026-11-09T00:00:00Z')],
      windows,
    );
    expect(single.method).toBe('welch-rows');
    expect(single.missing).toMatch(/too few rows/);
  });
});

describe('deploy periods', () => {
  const runs: RunSummary[] = [
    {
      asOf: '2026-11-01T00:00:00.000Z',
      outcome: 'promoted',
      championBefore: null,
      championAfter: 1,
      executionName: 'a',
    },
    {
      asOf: '2026-11-05T00:00:00.000Z',
      outcome: 'no-action',
      championBefore: 1,
      championAfter: 1,
      executionName: 'b',
    },
    {
      asOf: '2026-11-11T00:00:00.000Z',
      outcome: 'promoted',
      championBefore: 1,
      championAfter: 2,
      executionName: 'c',
    },
    {
      asOf: '2026-11-14T00:00:00.000Z',
      outcome: 'rolled-back',
      championBefore: 2,
      championAfter: 1,
      executionName: 'd',
    },
    {
      asOf: '2026-11-20T00:00:00.000Z',
      outcome: 'promoted',
      championBefore: 1,
      championAfter: 3,
      executionName: 'e',
    },
  ];

  it('compares each promoted version over its serving period with as long a period before it', () => {
    const periods = deployPeriods(runs, '2026-11-30T00:00:00.000Z', 7);
    expect(periods.map((p) => [p.version, p.before.start, p.after.start, p.after.end])).toEqual([
      // v1: no predecessor, serves until v2 (10 days) but at most 7.
      [1, '2026-10-25T00:00:00.000Z', '2026-11-01T00:00:00.000Z', '2026-11-08T00:00:00.000Z'],
      // v2: rolled back after 3 days; the 3 days before it.
      [2, '2026-11-08T00:00:00.000Z', '2026-11-11T00:00:00.000Z', '2026-11-14T00:00:00.000Z'],
      // v3: 7 days; before: cut at v1's return on the 14th (6 days).
      [3, '2026-11-14T00:00:00.000Z', '2026-11-20T00:00:00.000Z', '2026-11-27T00:00:00.000Z'],
    ]);
  });

  it('reads each KPI in its periods from the rows', () => {
    const policy = parsePolicy({
      modelId: 'm',
      kpis: [{ metric: 'conversion', kind: 'rate', value: { perUnit: 2 } }],
      training: { dataset: 'd.csv', label: 'y', features: ['a'] },
      evaluation: { holdout: 'h.csv' },
    });
    const periods = deployPeriods(runs.slice(0, 3), '2026-11-30T00:00:00.000Z', 7).slice(1);
    const rows = [
      row(0.1, 1000, '2026-11-09T12:00:00.000Z'),
      row(0.2, 1000, '2026-11-01T12:00:00.000Z'), // before the before-period: left out
      row(0.12, 500, '2026-11-12T12:00:00.000Z'),
      row(0.14, 500, '2026-11-13T12:00:00.000Z'),
      { ...row(0.9, 500, '2026-11-12T12:00:00.000Z'), metric: 'other' },
    ];
    const [roi] = deployRois(policy.kpis, periods, rows);
    expect(roi?.kpis[0]).toMatchObject({ before: { value: 0.1, count: 1000 }, after: { count: 1000 } });
    expect(roi?.kpis[0]?.uplift).toBeCloseTo(0.03, 12);
    // 0.03 × 1,000 trials × 2 (currency defaults to USD).
    expect(roi?.kpis[0]?.money).toMatchObject({ currency: 'USD', exposure: 1000 });
    expect(roi?.kpis[0]?.money?.value).toBeCloseTo(60, 9);
  });
});

describe("the loop's cost per model", () => {
  // A run that decided nothing: 5 transitions × $0.000025 = $0.000125; Lambda: monitor 1.7275 GB × 0.3 s +
  // analyze 0.25 GB × 0.05 s + record 0.25 GB × 0.1 s = 0.555762 GB-s × $0.0000133334 = $0.0000074102, plus
  // 3 requests × $0.0000002; DynamoDB 20 RRU × $0.125/M + 10 WRU × $0.625/M = $0.00000875; S3 4 GET × $0.0004/k +
  // 3 PUT × $0.005/k = $0.0000166. Total $0.00015836.
  it('prices a run by the path it took', () => {
    expect(runCost('no-action')).toBeCloseTo(0.00015836, 8);
    expect(runCost('promoted', 3)).toBeGreaterThan(runCost('promoted', 1));
    expect(runCost('rejected')).toBeGreaterThan(runCost('no-action'));
    expect(runCost('unlocked')).toBe(0);
  });

  // A check, from the fleet bench's measurements (per 100 checks, one page): 1 request $0.0000002; 100 × 1.8 ms ×
  // 1.769 GB = 0.31842 GB-s × $0.0000133334 = $0.0000042456; 114 RRU × $0.125/M = $0.00001425; 10 WRU × $0.625/M =
  // $0.00000625 → $0.0000249456 per 100, $2.49456e-7 a check. Hourly for 30 days: 720 × that = $0.00017961.
  it('prices checks at the fleet bench measurement and scales the counted days to a month', () => {
    const cost = modelMonthlyCost({ days: 7, checks: 168, runs: [{ outcome: 'no-action', checks: 0 }] });
    expect(cost.checksPerMonth).toBeCloseTo(720, 9);
    expect(cost.checks).toBeCloseTo(0.00017961, 8);
    expect(cost.runsPerMonth).toBeCloseTo(30 / 7, 9);
    expect(cost.runs).toBeCloseTo((0.00015836 * 30) / 7, 8);
    expect(cost.total).toBeCloseTo(cost.checks + cost.runs, 12);
    expect(cost.byOutcome['no-action']).toBeCloseTo(30 / 7, 9);
  });
});

describe('verifiedValues', () => {
  const kpi = (metric: string, before: number, after: number, count: number) => ({
    metric,
    status: 'within' as const,
    before,
    after,
    count,
  });

  it('values each KPI change in its good direction by the count since the deploy, summed per currency', () => {
    const values = verifiedValues(
      [
        { metric: 'conversion', direction: 'higher', value: { perUnit: 40, currency: 'USD' } },
        { metric: 'churn', direction: 'lower', kind: 'rate', value: { perUnit: 120, currency: 'USD' } },
        { metric: 'basket', direction: 'higher', kind: 'mean', value: { perUnit: 0.9, currency: 'EUR' } },
        { metric: 'latency', direction: 'lower' },
      ],
      [
        // (0.052 − 0.050) × 10,000 trials × $40 = $800
        kpi('conversion', 0.05, 0.052, 10_000),
        // churn fell 0.100 → 0.097, good for `lower`: 0.003 × 2,000 × $120 = $720
        kpi('churn', 0.1, 0.097, 2_000),
        // (31.5 − 32) × 400 baskets × €0.9 = −€180: a loss is reported as one
        kpi('basket', 32, 31.5, 400),
        kpi('latency', 120, 90, 5_000),
      ],
    );
    expect(values).toHaveLength(2);
    expect(values[0]).toMatchObject({ currency: 'USD', kpis: ['conversion', 'churn'] });
    expect(values[0]?.value).toBeCloseTo(1_520, 9);
    expect(values[1]).toMatchObject({ currency: 'EUR', kpis: ['basket'] });
    expect(values[1]?.value).toBeCloseTo(-180, 9);
  });

  it.each([
    {
      case: 'a value-kind KPI (no count to scale)',
      rule: { kind: 'value' as const },
      verified: kpi('k', 1, 2, 10),
    },
    {
      case: 'a KPI the check could not measure',
      rule: {},
      verified: { metric: 'k', status: 'missing' as const, count: 0 },
    },
    { case: 'a KPI without data since the deploy', rule: {}, verified: kpi('k', 1, 2, 0) },
  ])('leaves out $case', ({ rule, verified }) => {
    const rules = [
      { metric: 'k', direction: 'higher' as const, value: { perUnit: 1, currency: 'USD' }, ...rule },
    ];
    expect(verifiedValues(rules, [verified])).toEqual([]);
  });
});
