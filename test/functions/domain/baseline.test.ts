import { describe, expect, it } from 'vitest';
import {
  expectedValue,
  type KpiBaseline,
  kindOf,
  learnBaseline,
  type ReferenceWindow,
  windowVariance,
} from '#domain/baseline.ts';
import { mulberry32 } from '#domain/random.ts';
import fixture from './fixtures/kpi-stats.json' with { type: 'json' };

const DAY = 86_400_000;
const ORIGIN = Date.parse('2026-11-01T00:00:00.000Z'); // a Sunday
const iso = (day: number) => new Date(ORIGIN + day * DAY).toISOString();
const reference = (values: readonly number[], counts: readonly number[] | number = 1000): ReferenceWindow[] =>
  values.map((value, day) => ({
    start: iso(day),
    end: iso(day + 1),
    kpi: {
      metric: 'ctr',
      value,
      count: typeof counts === 'number' ? counts : (counts[day] as number),
      observations: 1,
    },
  }));
const options = { minCount: 1, seasonality: 'auto' as const, windowSeconds: 86_400 };

describe('learnBaseline', () => {
  it('is count-weighted, with DerSimonian–Laird between-window variance (numpy reference)', () => {
    const { values, counts, pooled, tau2, meanVariance } = fixture.dersimonianLaird;
    const baseline = learnBaseline(reference(values, counts), { ...options, seasonality: 'none' });
    expect(baseline?.kind).toBe('rate');
    expect(baseline?.mean).toBeCloseTo(pooled, 14);
    expect(baseline?.between).toBeCloseTo(tau2, 14);
    expect(baseline?.meanVariance).toBeCloseTo(meanVariance, 14);
    expect(baseline).toMatchObject({
      windows: values.length,
      excluded: 0,
      start: iso(0),
      end: iso(values.length),
    });
  });

  it('leaves out a one-day outlier, so that a glitch does not become the reference', () => {
    const values = Array.from({ length: 14 }, (_, day) => (day === 6 ? 0.02 : 0.05 + (day % 3) * 0.001));
    const baseline = learnBaseline(reference(values, 20_000), options);
    expect(baseline?.excluded).toBe(1);
    expect(baseline?.windows).toBe(13);
    expect(baseline?.mean).toBeGreaterThan(0.05);
  });

  it('finds a weekly pattern (F test at 1%) and gives each weekday its own expectation', () => {
    const next = mulberry32(3);
    const values = Array.from({ length: 28 }, (_, day) => {
      const weekend = day % 7 === 0 || day % 7 === 6;
      return (weekend ? 0.04 : 0.05) * (1 + 0.01 * (next() - 0.5));
    });
    const baseline = learnBaseline(reference(values, 50_000), options);
    expect(baseline?.weekly).toBeDefined();
    expect(expectedValue(baseline as KpiBaseline, iso(28)).mean).toBeCloseTo(0.04, 3); // a Sunday
    expect(expectedValue(baseline as KpiBaseline, iso(30)).mean).toBeCloseTo(0.05, 3); // a Tuesday
    expect(
      learnBaseline(reference(values, 50_000), { ...options, seasonality: 'none' })?.weekly,
    ).toBeUndefined();
  });

  it('does not invent a weekly pattern in noise', () => {
    const next = mulberry32(5);
    let found = 0;
    for (let model = 0; model < 200; model += 1) {
      const values = Array.from({ length: 28 }, () => {
        let hits = 0;
        for (let i = 0; i < 400; i += 1) if (next() < 0.1) hits += 1;
        return hits / 400;
      });
      if (learnBaseline(reference(values, 400), options)?.weekly) found += 1;
    }
    // 1% expected; a seeded run, so the count is fixed.
    expect(found).toBeLessThanOrEqual(6);
  });

  it('needs daily windows and two of every weekday for weekly factors', () => {
    const values = Array.from({ length: 13 }, (_, day) => (day % 7 === 0 ? 0.03 : 0.05));
    expect(learnBaseline(reference(values, 50_000), options)?.weekly).toBeUndefined();
    const hourly = learnBaseline(reference([...values, 0.05, 0.03], 50_000), {
      ...options,
      windowSeconds: 3600,
    });
    expect(hourly?.weekly).toBeUndefined();
  });

  it('skips windows below minCount and needs one usable window', () => {
    expect(learnBaseline(reference([0.1, 0.2], 5), { ...options, minCount: 10 })).toBeUndefined();
    const one = learnBaseline(reference([0.3], 400), options);
    expect(one).toMatchObject({ mean: 0.3, between: 0, windows: 1 });
    expect(one?.meanVariance).toBeCloseTo((0.3 * 0.7) / 400, 15);
  });

  it("models a `value` KPI by the spread of its windows, and a `mean` by the rows' spread", () => {
    const value = learnBaseline(reference([100, 110, 90, 105, 95], 1), { ...options, kind: 'value' });
    expect(value).toMatchObject({ kind: 'value', mean: 100, unitVariance: 0 });
    expect(value?.between).toBeCloseTo(62.5, 10);
    const windows = reference([10, 12, 11], 100).map((w) => ({ ...w, kpi: { ...w.kpi, variance: 4 } }));
    const mean = learnBaseline(windows, { ...options, kind: 'mean' });
    expect(mean).toMatchObject({ kind: 'mean', unitVariance: 4 });
    expect(
      windowVariance(mean as KpiBaseline, { metric: 'ctr', value: 11, count: 400, observations: 1 }, 11),
    ).toBeCloseTo(4 / 400 + (mean?.between ?? 0), 12);
    // A mean without any row's spread has no sampling model.
    expect(learnBaseline(reference([10, 12, 11], 100), { ...options, kind: 'mean' })?.kind).toBe('value');
  });

  it.each([
    [undefined, [0.1, 0.5, 1], 'rate'],
    [undefined, [0.1, 1.5], 'value'],
    ['mean' as const, [0.1], 'mean'],
  ])('kindOf(%s, %j) is %s', (declared, values, kind) => {
    expect(kindOf(declared, values)).toBe(kind);
  });
});
