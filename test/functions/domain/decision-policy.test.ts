import { describe, expect, it } from 'vitest';
import { analyze } from '#domain/analyze.ts';
import { type ModelPolicyInput, parsePolicy } from '#domain/policy.ts';
import type { Champion, Observed } from '#domain/run.ts';

// Tables for the decision policy over a series of daily windows.
const DAY = 86_400_000;
const ORIGIN = Date.parse('2026-11-01T00:00:00.000Z');
const iso = (day: number) => new Date(ORIGIN + day * DAY).toISOString();

/**
 * Daily windows with the given KPI values (null: no data), oldest first; the last ends at `iso(values.length)`.
 * 100,000 samples a window: 0.03 is below the floor 0.04 with confidence.
 */
function windows(values: (number | null)[], count = 100_000, offset = 0): Observed[] {
  return values.map((value, index) => ({
    window: { start: iso(offset + index), end: iso(offset + index + 1) },
    kpis: value === null ? [] : [{ metric: 'ctr', value, count, observations: 24 }],
    drift: [],
  }));
}

/** One window decides (`consecutive: 1`): these tables are about persistence, blocks and bands. */
function policy(extra: Partial<ModelPolicyInput> = {}, kpi: Record<string, unknown> = { floor: 0.04 }) {
  return parsePolicy({
    modelId: 'm',
    kpis: [{ metric: 'ctr', minCount: 100, consecutive: 1, ...kpi }],
    training: { dataset: 'd.csv', label: 'y', features: ['a'] },
    evaluation: { holdout: 'h.csv' },
    ...extra,
  });
}

const champion = (since = iso(0)): Champion => ({
  version: 2,
  artifactKey: 'm.json',
  since,
  baseline: { ctr: 0.05 },
});

function decideOver(
  values: (number | null)[],
  extra: Partial<Parameters<typeof analyze>[0]> = {},
  p = policy(),
) {
  const series = windows(values);
  return analyze({
    policy: p,
    asOf: iso(values.length),
    observed: series.at(-1) as Observed,
    history: series.slice(0, -1),
    champion: champion(),
    force: false,
    ...extra,
  });
}

describe('persistence: M of N windows, clear after K', () => {
  const persistent = policy({ persistence: { breaches: 2, windows: 3, clearAfter: 2 } });
  it.each([
    ['one breach in the last 3', [0.05, 0.05, 0.03], 'watch', false],
    ['two breaches in the last 3', [0.03, 0.05, 0.03], 'retrain', true],
    ['two breaches, but the older one left the 3-window span', [0.03, 0.05, 0.05, 0.03], 'watch', false],
    ['alert active, one healthy window is not enough to clear', [0.03, 0.03, 0.05], 'retrain', true],
    ['alert cleared after 2 healthy windows', [0.03, 0.03, 0.05, 0.05], 'none', false],
    ['no breach at all', [0.05, 0.05, 0.05], 'none', false],
  ])('%s -> %s', (_case, values, action, active) => {
    const decision = decideOver(values, {}, persistent);
    expect(decision.action).toBe(action);
    expect(decision.alert.active).toBe(active);
    expect(decision.reasons.find((r) => r.rule === 'persistence')?.message).toMatch(
      /of the last \d windows breached/,
    );
  });

  it('counts only windows served by the current champion', () => {
    const decision = decideOver([0.03, 0.03, 0.05], { champion: champion(iso(2)) }, persistent);
    expect(decision.action).toBe('none');
    expect(decision.alert.active).toBe(false);
  });
});

describe('insufficient data', () => {
  it.each([
    ['an empty current window', [0.03, 0.03, null]],
    ['a current window with too few samples', [0.03, 0.03, 0.001]],
  ])('%s is no decision, even with an active alert', (_case, values) => {
    const series = windows(values as (number | null)[]);
    if (values[2] === 0.001)
      series[2] = {
        ...(series[2] as Observed),
        kpis: [{ metric: 'ctr', value: 0.001, count: 5, observations: 1 }],
      };
    const decision = analyze({
      policy: policy({ persistence: { breaches: 2, windows: 3, clearAfter: 1 } }),
      asOf: iso(3),
      observed: series[2] as Observed,
      history: series.slice(0, 2),
      champion: champion(),
      force: false,
    });
    expect(decision.action).toBe('none');
    expect(decision.summary).toMatch(/^no decision: insufficient data/);
  });
});

describe('blocks: cooldown, budget, data quality, lock', () => {
  const breach = [0.03];
  it.each([
    [
      'inside the cooldown',
      { champion: champion(iso(0)) },
      policy({ cooldown: 'P2D' }),
      'blocked',
      'cooldown',
    ],
    [
      'after the cooldown',
      { champion: champion(iso(-2)) },
      policy({ cooldown: 'P2D' }),
      'retrain',
      undefined,
    ],
    [
      'with the budget used up',
      { retrains: [iso(0), iso(0)] },
      policy({ budget: { maxRetrains: 2, period: 'P7D' } }),
      'blocked',
      'budget',
    ],
    [
      'with budget left',
      { retrains: [iso(0)] },
      policy({ budget: { maxRetrains: 2, period: 'P7D' } }),
      'retrain',
      undefined,
    ],
    [
      'with failed data quality',
      {
        observed: {
          ...windows(breach)[0],
          quality: { passed: false, rows: 10, failures: ['age: 30% missing'], timestamp: iso(0) },
        } as Observed,
      },
      policy(),
      'blocked',
      'data-quality',
    ],
    [
      'with the lock held by another run',
      { lock: { acquired: false, owner: 'manual-m-1', expiresAt: iso(1) } },
      policy(),
      'blocked',
      'lock',
    ],
  ])('a breach %s -> %s', (_case, extra, p, action, blockedBy) => {
    const decision = decideOver(breach, extra, p);
    expect(decision.action).toBe(action);
    expect(decision.blockedBy).toBe(blockedBy);
    if (blockedBy) expect(decision.summary).toMatch(/^blocked/);
  });

  it('force bypasses cooldown and budget but not the lock', () => {
    const p = policy({ cooldown: 'P30D', budget: { maxRetrains: 1, period: 'P7D' } });
    expect(decideOver([0.05], { force: true, retrains: [iso(0)] }, p).action).toBe('retrain');
    const locked = decideOver(
      [0.05],
      { force: true, lock: { acquired: false, owner: 'other', expiresAt: iso(1) } },
      p,
    );
    expect(locked).toMatchObject({ action: 'blocked', blockedBy: 'lock' });
  });

  it('a healthy model is not blocked by its own lock rules', () => {
    expect(decideOver([0.05], { lock: { acquired: false, owner: 'other', expiresAt: iso(1) } }).action).toBe(
      'blocked',
    );
    expect(
      decideOver(
        [0.05],
        { retrains: [iso(0), iso(0), iso(0)] },
        policy({ budget: { maxRetrains: 1, period: 'P7D' } }),
      ).action,
    ).toBe('none');
  });
});

describe('KPI band learned from the reference period', () => {
  const banded = policy({}, { band: { k: 3, referenceWindows: 10, minWindows: 5 } });
  // The champion's first windows, a month before the judged one.
  const reference = windows([0.05, 0.052, 0.048, 0.051, 0.049, 0.05, 0.053, 0.047, 0.05, 0.05], 100_000, -30);

  it.each([
    ['inside the band', 0.046, 'none'],
    ['below mean - 3 sigma', 0.04, 'retrain'],
    ['far above (higher is better)', 0.09, 'none'],
  ])('a value %s -> %s', (_case, value, action) => {
    const decision = decideOver([value], { bandReference: reference, champion: champion(iso(-30)) }, banded);
    expect(decision.action).toBe(action);
    // σ of a window: the reference's spread beyond sampling (τ², here almost all of it) plus sampling at its count.
    const threshold = decision.reasons.find((r) => r.rule === 'kpi-band')?.threshold ?? 0;
    expect(threshold).toBeGreaterThan(0.05 - 3 * Math.sqrt(28e-6 / 9) - 0.001);
    expect(threshold).toBeLessThan(0.05 - 3 * Math.sqrt(28e-6 / 9) + 0.001);
  });

  it('is not checked while it has fewer reference windows than it needs', () => {
    const decision = decideOver(
      [0.01],
      { bandReference: reference.slice(0, 4), champion: champion(iso(-30)) },
      banded,
    );
    expect(decision.reasons.find((r) => r.rule === 'kpi-learning')?.message).toMatch(
      /learning the baseline .*\(4 of 5 windows with data\)/,
    );
  });
});

describe('seasonality and step changes', () => {
  // A weekly cycle: weekends run 25% below weekdays. A band learned over two full weeks tolerates it.
  const weekly = Array.from(
    { length: 14 },
    (_, day) => (day % 7 >= 5 ? 0.0375 : 0.05) + ((day * 7919) % 11) * 0.0002,
  );
  const seasonal = policy(
    { persistence: { breaches: 2, windows: 3, clearAfter: 2 } },
    { band: { k: 3, referenceWindows: 14, minWindows: 7 } },
  );

  it('weekly seasonality within the learned band never triggers', () => {
    // Four weeks earlier: the same weekdays (the baseline learns one mean per weekday).
    const reference = windows(weekly, 100_000, -28);
    const weeks = windows(weekly);
    for (let day = 0; day < 14; day += 1) {
      const recent = weeks.slice(Math.max(0, day - 2), day + 1);
      const decision = analyze({
        policy: seasonal,
        asOf: iso(day + 1),
        observed: recent.at(-1) as Observed,
        history: recent.slice(0, -1),
        bandReference: reference,
        champion: champion(iso(-28)),
        force: false,
      });
      expect(decision.action, `day ${day}`).not.toBe('retrain');
    }
  });

  it('a step change below the band triggers once it persists for 2 of 3 windows', () => {
    const reference = windows(weekly, 100_000, -28);
    const stepped = [0.05, 0.02, 0.02];
    const first = decideOver(
      stepped.slice(0, 2),
      { bandReference: reference, champion: champion(iso(-28)) },
      seasonal,
    );
    expect(first.action).toBe('watch');
    const second = decideOver(stepped, { bandReference: reference, champion: champion(iso(-28)) }, seasonal);
    expect(second.action).toBe('retrain');
    expect(second.reasons.some((r) => r.rule === 'kpi-band' && r.breached)).toBe(true);
  });

  it('a single noisy dip below a fixed floor is only watched with persistence', () => {
    expect(
      decideOver([0.05, 0.05, 0.035], {}, policy({ persistence: { breaches: 2, windows: 3, clearAfter: 1 } }))
        .action,
    ).toBe('watch');
  });
});

describe('dataset drift share from computed drift', () => {
  const observedWith = (drifted: boolean[]): Observed =>
    ({
      ...windows([0.05])[0],
      drift: drifted.map((d, i) => ({
        feature: `f${i}`,
        method: 'ks',
        score: d ? 0.001 : 0.4,
        timestamp: iso(0),
        drifted: d,
        threshold: 0.05,
      })),
    }) as Observed;

  it.each([
    [[true, false, false, false], 'none'],
    [[true, true, false, false], 'retrain'],
    [[true, true, true, false], 'retrain'],
  ])('drifted %j -> %s at a 50%% share', (drifted, action) => {
    const decision = analyze({
      policy: policy({ drift: { maxShare: 0.5 } }),
      asOf: iso(1),
      observed: observedWith(drifted),
      champion: champion(),
      force: false,
    });
    expect(decision.action).toBe(action);
    expect(decision.reasons.find((r) => r.rule === 'drift-share')).toMatchObject({ threshold: 0.5 });
  });
});

describe('a new champion', () => {
  it('is not judged on a window that started before it served', () => {
    const decision = decideOver([0.01], {
      champion: champion(new Date(ORIGIN + 12 * 3_600_000).toISOString()),
    });
    expect(decision.action).toBe('none');
    expect(decision.summary).toMatch(/window starts before v2 began serving/);
  });
});

describe('a KPI without data does not silence the others', () => {
  const two = parsePolicy({
    modelId: 'm',
    kpis: [
      { metric: 'ctr', minCount: 100, floor: 0.04, consecutive: 1 },
      { metric: 'revenue', minCount: 100, floor: 10, consecutive: 1 },
    ],
    training: { dataset: 'd.csv', label: 'y', features: ['a'] },
    evaluation: { holdout: 'h.csv' },
  });
  const window = (ctr: number | null): Observed => ({
    window: { start: iso(0), end: iso(1) },
    kpis: ctr === null ? [] : [{ metric: 'ctr', value: ctr, count: 100_000, observations: 24 }],
    drift: [],
  });
  const decide = (ctr: number | null) =>
    analyze({ policy: two, asOf: iso(1), observed: window(ctr), champion: champion(), force: false });

  it.each([
    ['ctr breaches its floor, revenue has no data', 0.03, 'retrain', /^retrain: /],
    [
      'ctr is healthy, revenue has no data',
      0.05,
      'none',
      /^no decision: insufficient data for 1 of 2 KPIs \(revenue\)$/,
    ],
    ['neither has data', null, 'none', /^no decision: insufficient data for 2 of 2 KPIs \(ctr, revenue\)$/],
  ])('%s: %s', (_case, ctr, action, summary) => {
    const decision = decide(ctr);
    expect(decision.action).toBe(action);
    expect(decision.summary).toMatch(summary);
  });
});
