import { describe, expect, it } from 'vitest';
import { analyze } from '#domain/analyze.ts';
import {
  healthyReference,
  lookbackWindowCount,
  policyEvidence,
  recentLevel,
  referenceOf,
  referencePeriod,
} from '#domain/kpi-evidence.ts';
import { parseObservation } from '#domain/observations.ts';
import { type KpiRule, parsePolicy } from '#domain/policy.ts';
import type { Observed } from '#domain/run.ts';
import { estimatedStateBytes, kpiEvidenceBytes, STATE_BUDGET_BYTES } from '#domain/state-size.ts';
import { summarize } from '#domain/windows.ts';

const DAY = 86_400_000;
const ORIGIN = Date.parse('2026-11-02T00:00:00.000Z');
const iso = (day: number) => new Date(ORIGIN + day * DAY).toISOString();
const windowsOf = (values: readonly (number | null)[], count = 50_000, offset = 0): Observed[] =>
  values.map((value, i) => ({
    window: { start: iso(offset + i), end: iso(offset + i + 1) },
    kpis: value === null ? [] : [{ metric: 'ctr', value, count, observations: 1 }],
    drift: [],
  }));
const policyOf = (kpi: Record<string, unknown> = {}) =>
  parsePolicy({
    modelId: 'm',
    kpis: [{ metric: 'ctr', maxRelativeDrop: 0.15, ...kpi }],
    training: { dataset: 'd.csv', label: 'y', features: ['a'] },
    evaluation: { holdout: 'h.csv' },
  });
const ruleOf = (kpi: Record<string, unknown> = {}) => policyOf(kpi).kpis[0] as KpiRule;
const wobble = (day: number) => 0.05 * (1 + 0.004 * (((day * 7919) % 11) - 5));

describe('healthyReference', () => {
  it('takes the first minWindows windows, then only windows that look like them', () => {
    const rule = ruleOf();
    // 10 healthy days, then the KPI falls 30%: the baseline must not follow it down.
    const values = Array.from({ length: 28 }, (_, day) => (day < 10 ? wobble(day) : 0.035));
    const accepted = healthyReference(rule, referenceOf(rule, windowsOf(values)), 86_400);
    expect(accepted.length).toBe(10);
    expect(accepted.every((w) => w.kpi.value > 0.04)).toBe(true);
  });

  it('grows to `windows` on a healthy KPI', () => {
    const rule = ruleOf({ baseline: { windows: 14, minWindows: 7 } });
    const values = Array.from({ length: 30 }, (_, day) => wobble(day));
    expect(healthyReference(rule, referenceOf(rule, windowsOf(values)), 86_400).length).toBe(14);
  });
});

describe('recentLevel', () => {
  it('is the newest windows back to the last change', () => {
    const rule = ruleOf();
    const values = [...Array.from({ length: 20 }, (_, day) => wobble(day)), 0.03, 0.031, 0.029, 0.03];
    const level = recentLevel(rule, windowsOf(values), 28);
    expect(level?.windows).toBe(4);
    expect(level?.value).toBeCloseTo(0.03, 3);
    expect(level?.count).toBe(200_000);
  });

  it('uses every window of a stable KPI up to its limit, with the variance of their mean', () => {
    const rule = ruleOf();
    const level = recentLevel(rule, windowsOf(Array.from({ length: 40 }, (_, day) => wobble(day))), 28);
    expect(level?.windows).toBe(28);
    const { value, count } = level ?? { value: 0, count: 1 };
    expect(level?.variance).toBeCloseTo((value * (1 - value)) / count, 12);
  });

  it('is undefined without data', () => {
    expect(recentLevel(ruleOf(), windowsOf([null, null]), 28)).toBeUndefined();
  });
});

describe("policyEvidence: Monitor's summary gives the same decision as judging every window", () => {
  it('a decline judged with the compact tracker retrains exactly when the full replay does', () => {
    const policy = policyOf();
    const values = Array.from({ length: 60 }, (_, day) =>
      day < 35 ? wobble(day) : 0.05 * (1 - 0.01 * (day - 34)),
    );
    const all = windowsOf(values);
    const champion = { version: 1, artifactKey: 'm.json', since: iso(0) };
    const recent = 1;
    const lookback = lookbackWindowCount(policy, recent);
    let firstRetrain: number | undefined;
    for (let t = 30; t < 60 && firstRetrain === undefined; t += 1) {
      const read = all.slice(Math.max(0, t - lookback + 1), t + 1);
      const current = read.at(-1) as Observed;
      const evidence = policyEvidence(policy, 86_400, champion, read, recent - 1, (rule) => {
        const period = referencePeriod(rule, 86_400, champion, current.window.start);
        return period ? all.slice(0, period.count) : [];
      });
      const decision = analyze({
        policy,
        asOf: current.window.end,
        observed: { ...current, evidence },
        champion,
        force: false,
      });
      if (decision.action === 'retrain') firstRetrain = t;
    }
    // The decline starts on day 35; a 1%-a-day decline at 50,000 a day is caught within a week.
    expect(firstRetrain).toBeGreaterThanOrEqual(35);
    expect(firstRetrain).toBeLessThanOrEqual(41);
  });
});

describe('state size', () => {
  it('counts the KPI evidence, a few hundred bytes per KPI, and 50 KPIs stay within budget', () => {
    const fifty = parsePolicy({
      modelId: 'm',
      kpis: Array.from({ length: 50 }, (_, i) => ({
        metric: `kpi_${i}`,
        maxRelativeDrop: 0.1,
        band: { k: 3 },
      })),
      training: { dataset: 'd.csv', label: 'y', features: ['a'] },
      evaluation: { holdout: 'h.csv' },
    });
    expect(kpiEvidenceBytes(fifty) / 50).toBeLessThan(1200);
    expect(estimatedStateBytes(fifty)).toBeLessThan(STATE_BUDGET_BYTES);
  });
});

describe('KPI rows with their spread', () => {
  const row = (extra: Record<string, unknown>) =>
    parseObservation({
      type: 'kpi',
      modelId: 'm',
      metric: 'basket',
      value: 2,
      count: 4,
      timestamp: '2026-11-20T00:00:00Z',
      ...extra,
    });

  it.each([
    ['sd', { sd: 1.5 }, true],
    ['sum and sumSquares', { sum: 8, sumSquares: 20 }, true],
    ['a negative sd', { sd: -1 }, false],
    ['sum without sumSquares', { sum: 8 }, false],
    ['a sum that is not count x value', { sum: 9, sumSquares: 30 }, false],
    ['impossible sums (sumSquares < sum² / count)', { sum: 8, sumSquares: 10 }, false],
    ['both sd and sums', { sd: 1, sum: 8, sumSquares: 20 }, false],
  ])('%s -> valid %s', (_case, extra, ok) => {
    expect(row(extra).ok).toBe(ok);
  });

  it("a window pools the rows' variance (both forms agree)", () => {
    // Samples [1, 2, 3] and [4, 5]: mean 3, sample variance 2.5.
    const rows = [
      { type: 'kpi' as const, modelId: 'm', metric: 'basket', value: 2, count: 3, sd: 1, timestamp: iso(0) },
      {
        type: 'kpi' as const,
        modelId: 'm',
        metric: 'basket',
        value: 4.5,
        count: 2,
        sum: 9,
        sumSquares: 41,
        timestamp: iso(0),
      },
    ];
    const [kpi] = summarize({ start: iso(0), end: iso(1) }, rows).kpis;
    expect(kpi?.value).toBeCloseTo(3, 12);
    expect(kpi?.variance).toBeCloseTo(2.5, 12);
    const [plain] = summarize({ start: iso(0), end: iso(1) }, [
      { ...(rows[0] as (typeof rows)[number]), sd: undefined },
    ]).kpis;
    expect(plain?.variance).toBeUndefined();
  });
});
