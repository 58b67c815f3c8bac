import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CUSUM_SETTINGS, cusumStep } from '#domain/cusum.ts';

const step = (previous: number, deviation: number, extra: Partial<Parameters<typeof cusumStep>[1]> = {}) =>
  cusumStep(previous, {
    deviation,
    expected: 0.1,
    variance: 1e-4,
    shift: 0.1,
    threshold: 6,
    worseIsLower: true,
    ...extra,
  });

describe('cusumStep (Page 1954, log-likelihood-ratio increments)', () => {
  it.each([
    // Δ = 0.01, σ² = 1e-4: increment = (Δ/σ²)(−deviation) − Δ²/(2σ²) = 100·(−d) − 0.5
    ['as expected', 0, 0, -0.5, 0],
    ['down by half the shift: neutral', -0.005, 0, 0, 0],
    ['down by the shift', -0.01, 1, 0.5, 1.5],
    ['up (better)', 0.01, 2, -1.5, 0.5],
  ])('%s', (_case, deviation, previous, increment, statistic) => {
    const result = step(previous, deviation, { baselineSe: 0 });
    expect(result.increment).toBeCloseTo(increment, 12);
    expect(result.statistic).toBeCloseTo(statistic, 12);
  });

  it('fires past the threshold, for lower-is-better KPIs upwards', () => {
    expect(step(5.8, -0.01, { baselineSe: 0 }).fired).toBe(true);
    expect(step(5.8, 0.01, { baselineSe: 0, worseIsLower: false }).fired).toBe(true);
    expect(step(5.8, 0.01, { baselineSe: 0 }).fired).toBe(false);
  });

  it("discounts the baseline's own error", () => {
    const plain = step(0, -0.01, { baselineSe: 0 });
    const uncertain = step(0, -0.01, { baselineSe: 0.002 });
    expect(uncertain.increment).toBeCloseTo(plain.increment - 100 * CUSUM_SETTINGS.margin * 0.002, 12);
  });

  it('never goes below 0 and never rises by more than half its threshold in one window', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.double({ min: 1e-8, max: 1, noNaN: true }),
        (previous, deviation, variance) => {
          const result = step(previous, deviation, { variance });
          return result.statistic >= 0 && result.statistic <= previous + 6 * CUSUM_SETTINGS.cap + 1e-12;
        },
      ),
    );
  });
});
