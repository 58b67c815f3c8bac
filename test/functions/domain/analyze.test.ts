import { describe, expect, it } from 'vitest';
import { analyze, relativeWorsening } from '#domain/analyze.ts';
import { type KpiRule, parsePolicy } from '#domain/policy.ts';
import type { Champion, Observed } from '#domain/run.ts';

// Daily windows from 2026-11-01; the champion serves from day 0; its first 28 windows are the reference.
const DAY = 86_400_000;
const ORIGIN = Date.parse('2026-11-01T00:00:00.000Z');
const iso = (day: number) => new Date(ORIGIN + day * DAY).toISOString();
const champion: Champion = { version: 3, artifactKey: 'm.json', since: iso(0) };

type Rule = Partial<Omit<KpiRule, 'baseline' | 'cusum'>> & { baseline?: object; cusum?: object | false };

function policyWith(kpi: Rule, drift?: { maxScore?: number; features?: Record<string, number> }) {
  return parsePolicy({
    modelId: 'm',
    kpis: [{ metric: 'ctr', ...kpi }],
    ...(drift ? { drift } : {}),
    training: { dataset: 'd.csv', label: 'y', features: ['a', 'age'] },
    evaluation: { holdout: 'h.csv' },
  });
}

const windowOf = (
  day: number,
  value: number | undefined,
  count = 100_000,
  drift: Observed['drift'] = [],
): Observed => ({
  window: { start: iso(day), end: iso(day + 1) },
  kpis: value === undefined ? [] : [{ metric: 'ctr', value, count, observations: 24 }],
  drift,
});

/** 28 healthy reference windows at 0.05 (100,000 trials a day, a small wobble without a weekly pattern). */
const reference = Array.from({ length: 28 }, (_, day) =>
  windowOf(day, 0.05 + ((day * 7919) % 11) * 0.00003 - 0.00015),
);

/** Decides the window of `day` (after the reference) with `history` before it. */
function decide(
  kpi: Rule,
  values: (number | undefined)[],
  options: { champion?: Champion | null; force?: boolean; count?: number } = {},
) {
  const series = values.map((value, i) => windowOf(28 + i, value, options.count));
  const current = series[series.length - 1] as Observed;
  return analyze({
    policy: policyWith(kpi),
    asOf: current.window.end,
    observed: current,
    history: series.slice(0, -1),
    bandReference: reference,
    champion: options.champion === undefined ? champion : options.champion,
    force: options.force ?? false,
  });
}

describe('analyze: absolute bounds with confidence', () => {
  it.each([
    ['above the floor', { floor: 0.04 }, 0.045, 'none', false],
    ['below the floor with confidence (n=100,000)', { floor: 0.04 }, 0.035, 'retrain', true],
    ['below the floor, but inside its interval', { floor: 0.04 }, 0.0395, 'none', false],
    [
      'above the ceiling with confidence',
      { ceiling: 0.1, direction: 'lower' as const },
      0.11,
      'retrain',
      true,
    ],
  ])('%s -> %s', (_case, kpi, value, action, breached) => {
    const decision = decide({ ...kpi, consecutive: 1 }, [value]);
    expect(decision.action).toBe(action);
    const rule = 'floor' in kpi ? 'kpi-floor' : 'kpi-ceiling';
    expect(decision.reasons.find((r) => r.rule === rule)).toMatchObject({
      subject: 'ctr',
      observed: value,
      breached,
    });
  });

  it('a low volume widens the interval instead of raising an alarm', () => {
    expect(decide({ floor: 0.04, consecutive: 1 }, [0.035], { count: 200 }).action).toBe('none');
    const reason = decide({ floor: 0.04, consecutive: 1 }, [0.035], { count: 200 }).reasons[0];
    expect(reason?.message).toMatch(
      /below the floor 0\.04, but not with 95% confidence \(95% CI .*n=200\): not a breach/,
    );
  });
});

describe('analyze: relative drop against the reference baseline', () => {
  it.each([
    ['a 20% drop with a 15% limit', { maxRelativeDrop: 0.15 }, 0.04, 'retrain'],
    ['a 10% drop with a 15% limit', { maxRelativeDrop: 0.15 }, 0.045, 'none'],
    [
      'a 20% rise of a lower-is-better KPI',
      { maxRelativeDrop: 0.15, direction: 'lower' as const },
      0.06,
      'retrain',
    ],
    [
      'a 40% fall of a lower-is-better KPI',
      { maxRelativeDrop: 0.15, direction: 'lower' as const },
      0.03,
      'none',
    ],
  ])('%s -> %s', (_case, kpi, value, action) => {
    const decision = decide({ ...kpi, consecutive: 1, cusum: false }, [value]);
    expect(decision.action).toBe(action);
    expect(decision.reasons.find((r) => r.rule === 'kpi-relative-drop')).toMatchObject({
      subject: 'ctr',
      threshold: 0.15,
      breached: action === 'retrain',
    });
  });

  it('says by how much, against which baseline, with its interval and count', () => {
    const decision = decide({ maxRelativeDrop: 0.15, consecutive: 1, cusum: false }, [0.04]);
    expect(decision.summary).toMatch(
      /^retrain: ctr 0\.04 is 20% below the baseline 0\.050\d* \(95% CI of the change -2\d%\.\.-1\d%, n=100,000\): worse by more than 15% with 95% confidence$/,
    );
  });

  it('a drop beyond the limit but within the noise is not a breach', () => {
    const decision = decide({ maxRelativeDrop: 0.15, consecutive: 1, cusum: false }, [0.041], { count: 300 });
    const reason = decision.reasons.find((r) => r.rule === 'kpi-relative-drop');
    expect(reason?.breached).toBe(false);
    expect(reason?.message).toMatch(/worse by more than 15%, but not with 95% confidence/);
  });

  it('a zero baseline is not "infinitely worse"', () => {
    const zero = Array.from({ length: 28 }, (_, day) => windowOf(day, 0));
    const decision = analyze({
      policy: policyWith({ maxRelativeDrop: 0.15, consecutive: 1, kind: 'value' }),
      asOf: iso(29),
      observed: windowOf(28, 0.2),
      bandReference: zero,
      champion,
      force: false,
    });
    expect(decision.action).toBe('none');
    expect(decision.reasons.find((r) => r.rule === 'kpi-relative-drop')?.message).toMatch(
      /the baseline is 0/,
    );
  });

  it('is learning, not breaching, until the reference has its windows', () => {
    const decision = analyze({
      policy: policyWith({ maxRelativeDrop: 0.15 }),
      asOf: iso(6),
      observed: windowOf(5, 0.01),
      bandReference: reference.slice(0, 5),
      champion,
      force: false,
    });
    expect(decision.action).toBe('none');
    expect(decision.reasons).toContainEqual(
      expect.objectContaining({
        rule: 'kpi-learning',
        breached: false,
        message: expect.stringMatching(
          /learning the baseline from v3's first windows \(5 of 7 windows with data\)/,
        ),
      }),
    );
  });

  it('one bad window is watched; the second in a row retrains (consecutive: 2, the default)', () => {
    const first = decide({ maxRelativeDrop: 0.15, cusum: false }, [0.03]);
    expect(first.action).toBe('watch');
    expect(first.summary).toMatch(/window 1 of 2 in a row needed/);
    expect(decide({ maxRelativeDrop: 0.15, cusum: false }, [0.03, 0.03]).action).toBe('retrain');
    expect(decide({ maxRelativeDrop: 0.15, cusum: false }, [0.03, 0.05, 0.03]).action).toBe('watch');
  });
});

describe('analyze: CUSUM for slow declines', () => {
  it('catches a decline of 1% a day that no single window shows, and says so', () => {
    let caught: number | undefined;
    for (let days = 1; days <= 15 && caught === undefined; days += 1) {
      const values = Array.from({ length: days }, (_, i) => 0.05 * (1 - 0.01 * (i + 1)));
      const decision = decide({ maxRelativeDrop: 0.15 }, values);
      if (decision.action === 'retrain') {
        caught = days;
        expect(decision.reasons.some((r) => r.rule === 'kpi-relative-drop' && r.breached)).toBe(false);
        const cusum = decision.reasons.find((r) => r.rule === 'kpi-cusum');
        expect(cusum).toMatchObject({ breached: true, threshold: 5 });
        expect(cusum?.message).toMatch(
          /^ctr CUSUM [\d.]+ is over its threshold 5 \(\d+ windows since 2026-1\d-\d\d, on average [\d.]+% worse than the baseline 0\.050\d*\): a sustained decline of about 5\.0% or more$/,
        );
      }
    }
    expect(caught).toBeDefined();
    expect(caught).toBeLessThanOrEqual(8);
  });

  it('a one-day outlier does not fire it', () => {
    const decision = decide({ maxRelativeDrop: 0.15 }, [0.05, 0.05, 0.02, 0.05, 0.05]);
    expect(decision.action).toBe('none');
    const series = [0.05, 0.05, 0.02];
    expect(decide({ maxRelativeDrop: 0.15 }, series).action).toBe('watch');
  });

  it('can be turned off', () => {
    const values = Array.from({ length: 12 }, (_, i) => 0.05 * (1 - 0.01 * (i + 1)));
    const decision = decide({ maxRelativeDrop: 0.15, cusum: false }, values);
    expect(decision.reasons.some((r) => r.rule === 'kpi-cusum')).toBe(false);
  });
});

describe('analyze: data, champion, drift', () => {
  it.each([
    ['no observations', undefined, 1000],
    ['too few samples', 0.001, 99],
  ])('treats %s as insufficient data, never a breach', (_case, value, count) => {
    const decision = decide({ floor: 0.04, minCount: 100 }, [value], { count });
    expect(decision.action).toBe('none');
    expect(decision.summary).toBe('no decision: insufficient data for 1 of 1 KPIs (ctr)');
    expect(decision.reasons).toEqual([
      expect.objectContaining({
        rule: 'kpi-min-count',
        breached: false,
        threshold: 100,
        observed: value === undefined ? 0 : count,
      }),
    ]);
  });

  it('retrains when there is no champion yet, and when forced', () => {
    expect(decide({ floor: 0.01 }, [0.05], { champion: null }).reasons[0]).toMatchObject({
      rule: 'no-champion',
      breached: true,
    });
    const forced = decide({ floor: 0.01 }, [0.05], { force: true });
    expect(forced.action).toBe('retrain');
    expect(forced.reasons[0]).toMatchObject({ rule: 'forced' });
  });

  it.each([
    ['under the default ceiling', 0.2, {}, 'none'],
    ['over the default ceiling', 0.3, {}, 'retrain'],
    ['under a per-feature ceiling above the default', 0.3, { age: 0.4 }, 'none'],
    ['over a per-feature ceiling below the default', 0.15, { age: 0.1 }, 'retrain'],
  ])('drift score %s -> %s', (_case, score, features, action) => {
    const seen = windowOf(28, 0.05, 100_000, [{ feature: 'age', method: 'psi', score, timestamp: iso(28) }]);
    const decision = analyze({
      policy: policyWith({}, { maxScore: 0.25, features }),
      asOf: iso(29),
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
    const seen = windowOf(28, 0.01, 100_000, [
      { feature: 'age', method: 'psi', score: 0.9, timestamp: iso(28) },
    ]);
    const decision = analyze({
      policy: policyWith({ floor: 0.04, consecutive: 1 }, {}),
      asOf: iso(29),
      observed: seen,
      champion,
      force: false,
    });
    expect(decision.summary).toMatch(
      /^retrain: ctr 0\.01 is below the floor 0\.04 with 95% confidence .*; age drift 0\.9/,
    );
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
