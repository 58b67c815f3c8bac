import { describe, expect, it } from 'vitest';
import { verifyRollout } from '#domain/verify.ts';

const policy = {
  kpis: [{ metric: 'ctr', direction: 'higher' as const, minCount: 100 }],
  rollout: { bakePeriod: 'PT1H', maxChecks: 3, maxRelativeDrop: 0.05 },
};
const kpi = (value: number, count = 1000) => [{ metric: 'ctr', value, count, observations: 10 }];

describe('verifyRollout', () => {
  it.each([
    ['KPI improved', kpi(0.05), kpi(0.06), 1, 'pass'],
    ['KPI 4% worse, within the 5% limit', kpi(0.05), kpi(0.048), 1, 'pass'],
    ['KPI 10% worse', kpi(0.05), kpi(0.045), 1, 'fail'],
    ['no post-deploy data at the first check', kpi(0.05), [], 1, 'pending'],
    ['too few post-deploy samples before the last check', kpi(0.05), kpi(0.06, 50), 2, 'pending'],
    ['no post-deploy data at the last check', kpi(0.05), [], 3, 'fail'],
    ['no pre-deploy value (first champion)', [], kpi(0.01), 1, 'pass'],
  ])('%s -> %s', (_case, before, after, check, verdict) => {
    const result = verifyRollout({ policy, before, after, check });
    expect(result.verdict).toBe(verdict);
    expect(result.reasons.length).toBeGreaterThan(0);
  });

  it('says that missing data at the last check is a failure', () => {
    expect(verifyRollout({ policy, before: kpi(0.05), after: [], check: 3 }).reasons).toContain(
      'no data after 3 checks counts as a failure',
    );
  });

  it('passes a drift-only policy at once', () => {
    expect(verifyRollout({ policy: { ...policy, kpis: [] }, before: [], after: [], check: 1 }).verdict).toBe(
      'pass',
    );
  });
});
