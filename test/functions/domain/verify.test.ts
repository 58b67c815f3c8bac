import { describe, expect, it } from 'vitest';
import type { KpiEvidence } from '#domain/kpi-evidence.ts';
import { parsePolicy } from '#domain/policy.ts';
import { verifyRollout } from '#domain/verify.ts';

const policy = parsePolicy({
  modelId: 'm',
  kpis: [{ metric: 'ctr', minCount: 100 }],
  training: { dataset: 'd.csv', label: 'y', features: ['a'] },
  evaluation: { holdout: 'h.csv' },
  rollout: { bakePeriod: 'PT1H', maxChecks: 3, maxRelativeDrop: 0.1, minCount: 50 },
});
const kpi = (value: number, count = 1000) => [{ metric: 'ctr', value, count, observations: 10 }];
/** The previous champion's recent level: 0.05 over 28 windows of 20,000 trials. */
const level = (value = 0.05, count = 560_000): Record<string, KpiEvidence> => ({
  ctr: {
    reference: { windows: 28, needed: 7 },
    tracker: { cusum: 0, streak: 0 },
    recent: {
      value,
      count,
      variance: (value * (1 - value)) / count,
      unitVariance: value * (1 - value),
      kind: 'rate',
      windows: 28,
      start: '2026-10-01T00:00:00.000Z',
      end: '2026-10-29T00:00:00.000Z',
    },
  },
});
const verify = (after: ReturnType<typeof kpi>, check: number, evidence = level()) =>
  verifyRollout({ policy, before: kpi(0.05), evidence, after, check });

describe("verifyRollout: an always-valid test against the previous champion's level", () => {
  it.each([
    ['KPI unchanged, plenty of data', kpi(0.05, 200_000), 1, 'pass', 'within'],
    ['KPI 20% worse, plenty of data', kpi(0.04, 200_000), 1, 'fail', 'worse'],
    ['KPI 20% worse on 1,000 samples: not yet clear', kpi(0.04), 1, 'pending', 'undecided'],
    ['KPI 80% worse on 1,000 samples: clear at once', kpi(0.01), 1, 'fail', 'worse'],
    ['no post-deploy data at the first check', [], 1, 'pending', 'missing'],
    ['too few samples before the last check', kpi(0.06, 20), 2, 'pending', 'missing'],
    ['no post-deploy data at the last check', [], 3, 'fail', 'missing'],
  ])('%s -> %s', (_case, after, check, verdict, status) => {
    const result = verify(after, check);
    expect(result.verdict).toBe(verdict);
    expect(result.kpis[0]?.status).toBe(status);
    expect(result.reasons.length).toBeGreaterThan(0);
  });

  it('says how the KPI moved, with its confidence sequence and counts', () => {
    expect(verify(kpi(0.04, 200_000), 1).reasons[0]).toMatch(
      /^ctr 0\.05 -> 0\.04 \(-20%, 95% confidence sequence -2\d%\.\.-1\d%, n=200,000 after, 560,000 before over 28 windows\): worse than before with 95% confidence$/,
    );
  });

  it('keeps an undecided KPI at the last check unless that check shows it worse', () => {
    const undecided = verify(kpi(0.048), 3);
    expect(undecided.verdict).toBe('pass');
    expect(undecided.reasons[0]).toMatch(
      /undecided after 3 checks; this check alone does not show it worse than before: kept$/,
    );
    const worse = verify(kpi(0.04, 3000), 3);
    expect(worse.verdict).toBe('fail');
    expect(worse.reasons[0]).toMatch(
      /this check alone shows it worse than before \(95% upper bound -\d+(\.\d)?%\): rolled back$/,
    );
  });

  it('says that missing data at the last check is a failure', () => {
    expect(verify([], 3).reasons).toContain('no data after 3 checks counts as a failure');
  });

  it('passes a first version on its data alone (nothing before to compare with)', () => {
    const first = verifyRollout({ policy, before: [], after: kpi(0.01, 60), check: 1 });
    expect(first.verdict).toBe('pass');
    expect(first.kpis[0]?.status).toBe('unjudged');
  });

  it("without Monitor's level compares with the window before the deploy", () => {
    const result = verifyRollout({ policy, before: kpi(0.05, 100_000), after: kpi(0.03, 100_000), check: 1 });
    expect(result.verdict).toBe('fail');
    expect(result.reasons[0]).toMatch(/over 1 window\)/);
  });

  it('judges the KPIs with data and reports the missing ones', () => {
    const two = parsePolicy({ ...policy, kpis: [{ metric: 'ctr' }, { metric: 'revenue' }] });
    const result = verifyRollout({
      policy: two,
      before: kpi(0.05),
      evidence: level(),
      after: kpi(0.02, 100_000),
      check: 1,
    });
    expect(result.verdict).toBe('fail');
    expect(result.reasons.join('\n')).toMatch(/revenue has 0 of 50 samples since the deploy/);
  });

  it('passes a drift-only policy at once', () => {
    expect(verifyRollout({ policy: { ...policy, kpis: [] }, before: [], after: [], check: 1 }).verdict).toBe(
      'pass',
    );
  });
});
