import { describe, expect, it } from 'vitest';
import { analyze, relativeWorsening } from '#domain/analyze.ts';
import { type KpiRule, parsePolicy } from '#domain/policy.ts';
import type { Champion, Observed } from '#domain/run.ts';

const window = { start: '2026-11-19T00:00:00.000Z', end: '2026-11-20T00:00:00.000Z' };
const champion: Champion = {
  version: 3,
  artifactKey: 'm.json',
  since: '2026-11-01T00:00:00.000Z',
  baseline: { ctr: 0.05 },
};

function policyWith(kpi: Partial<KpiRule>, drift?: { maxScore?: number; features?: Record<string, number> }) {
  return parsePolicy({
    modelId: 'm',
    kpis: [{ metric: 'ctr', ...kpi }],
    ...(drift ? { drift } : {}),
    training: { dataset: 'd.csv', label: 'y', features: ['a', 'age'] },
    evaluation: { holdout: 'h.csv' },
  });
}

function observed(value: number | undefined, count = 1000, drift: Observed['drift'] = []): Observed {
  return {
    window,
    kpis: value === undefined ? [] : [{ metric: 'ctr', value, count, observations: 24 }],
    drift,
  };
}

const decide = (
  kpi: Partial<KpiRule>,
  seen: Observed,
  options: { champion?: Champion | null; force?: boolean } = {},
) =>
  analyze({
    policy: policyWith(kpi),
    asOf: window.end,
    observed: seen,
    champion: options.champion === undefined ? champion : options.champion,
    force: options.force ?? false,
  });

describe('analyze', () => {
  it.each([
    ['value above the floor', { floor: 0.04 }, 0.045, 'none', 'kpi-floor'],
    ['value below the floor', { floor: 0.04 }, 0.039, 'retrain', 'kpi-floor'],
    ['value exactly at the floor', { floor: 0.04 }, 0.04, 'none', 'kpi-floor'],
    [
      'value above the ceiling',
      { ceiling: 0.1, direction: 'lower' as const },
      0.11,
      'retrain',
      'kpi-ceiling',
    ],
    ['a 12% drop with a 10% limit', { maxRelativeDrop: 0.1 }, 0.044, 'retrain', 'kpi-relative-drop'],
    ['an 8% drop with a 10% limit', { maxRelativeDrop: 0.1 }, 0.046, 'none', 'kpi-relative-drop'],
    [
      'a rise of a lower-is-better KPI',
      { maxRelativeDrop: 0.1, direction: 'lower' as const },
      0.056,
      'retrain',
      'kpi-relative-drop',
    ],
    [
      'a fall of a lower-is-better KPI',
      { maxRelativeDrop: 0.1, direction: 'lower' as const },
      0.03,
      'none',
      'kpi-relative-drop',
    ],
  ])('%s -> %s', (_case, kpi, value, action, rule) => {
    const decision = decide(kpi, observed(value));
    expect(decision.action).toBe(action);
    const reason = decision.reasons.find((r) => r.rule === rule);
    expect(reason).toMatchObject({
      subject: 'ctr',
      observed: expect.any(Number),
      breached: action === 'retrain',
      window,
    });
  });

  it.each([
    ['no observations', undefined, 1000],
    ['too few samples', 0.001, 99],
  ])('treats %s as insufficient data, never a breach', (_case, value, count) => {
    const decision = decide({ floor: 0.04, minCount: 100 }, observed(value, count));
    expect(decision.action).toBe('none');
    expect(decision.summary).toMatch(/insufficient data/);
    expect(decision.reasons).toEqual([
      expect.objectContaining({
        rule: 'kpi-min-count',
        breached: false,
        threshold: 100,
        observed: value === undefined ? 0 : count,
      }),
    ]);
  });

  it('skips the relative-drop rule without a baseline, saying so', () => {
    const decision = decide({ maxRelativeDrop: 0.1 }, observed(0.001), {
      champion: { ...champion, baseline: undefined },
    });
    expect(decision.action).toBe('none');
    expect(decision.reasons[0]?.message).toMatch(/no baseline yet/);
  });

  it('retrains when there is no champion yet, and when forced', () => {
    expect(decide({ floor: 0.01 }, observed(0.05), { champion: null }).reasons[0]).toMatchObject({
      rule: 'no-champion',
      breached: true,
    });
    const forced = decide({ floor: 0.01 }, observed(0.05), { force: true });
    expect(forced.action).toBe('retrain');
    expect(forced.reasons[0]).toMatchObject({ rule: 'forced' });
  });

  it.each([
    ['under the default ceiling', 0.2, {}, 'none'],
    ['over the default ceiling', 0.3, {}, 'retrain'],
    ['under a per-feature ceiling above the default', 0.3, { age: 0.4 }, 'none'],
    ['over a per-feature ceiling below the default', 0.15, { age: 0.1 }, 'retrain'],
  ])('drift score %s -> %s', (_case, score, features, action) => {
    const seen = observed(0.05, 1000, [{ feature: 'age', method: 'psi', score, timestamp: window.start }]);
    const decision = analyze({
      policy: policyWith({}, { maxScore: 0.25, features }),
      asOf: window.end,
      observed: seen,
      champion,
      force: false,
    });
    expect(decision.action).toBe(action);
    expect(decision.reasons.find((r) => r.rule === 'drift-score')).toMatchObject({
      subject: 'age',
      observed: score,
    });
  });

  it('lists every breach in the summary', () => {
    const seen = observed(0.01, 1000, [
      { feature: 'age', method: 'psi', score: 0.9, timestamp: window.start },
    ]);
    const decision = analyze({
      policy: policyWith({ floor: 0.04 }, {}),
      asOf: window.end,
      observed: seen,
      champion,
      force: false,
    });
    expect(decision.summary).toMatch(/^retrain: ctr 0\.01 is below the floor 0\.04; age drift 0\.9/);
  });
});

describe('relativeWorsening', () => {
  it.each([
    ['higher', 0.5, 0.4, 0.2],
    ['higher', 0.5, 0.6, -0.2],
    ['lower', 0.5, 0.6, 0.2],
    ['lower', -2, -1, 0.5],
    ['higher', 0, 0, 0],
    ['higher', 0, 1, Number.POSITIVE_INFINITY],
  ] as const)('%s is better: %d -> %d is %d worse', (direction, reference, value, expected) => {
    expect(relativeWorsening(direction, reference, value)).toBeCloseTo(expected, 12);
  });
});
