import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  betaIncomplete,
  fSurvival,
  logGamma,
  normalCdf,
  normalQuantile,
  relativeChangeInterval,
  studentCdf,
  studentQuantile,
  welchDf,
  wilsonInterval,
} from '#domain/kpi-stats.ts';
import fixture from './fixtures/kpi-stats.json' with { type: 'json' };

// Reference values computed once with scipy (see the fixture's `generator`); the tests need no python.
const close = (actual: number, expected: number, relative = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(expected)));

describe('kpi-stats against scipy', () => {
  it.each(fixture.normalCdf)('normalCdf(%d)', (x, p) => close(normalCdf(x as number), p as number, 1e-13));
  it.each(fixture.normalQuantile)('normalQuantile(%d)', (p, x) =>
    close(normalQuantile(p as number), x as number, 1e-9),
  );
  it.each(fixture.logGamma)('logGamma(%d)', (x, g) => close(logGamma(x as number), g as number, 1e-12));
  it.each(fixture.betaIncomplete)('betaIncomplete(%d, %d, %d)', (a, b, x, i) =>
    close(betaIncomplete(a as number, b as number, x as number), i as number, 1e-11),
  );
  it.each(fixture.studentQuantile)('studentQuantile(%d, df %d)', (p, df, t) =>
    // scipy's stdtrit is itself good to about 1e-9 here (its own t.cdf agrees with ours to 1e-16).
    close(studentQuantile(p as number, df as number), t as number, 1e-8),
  );
  it.each(fixture.fSurvival)('fSurvival(%d; %d, %d)', (f, d1, d2, p) =>
    close(fSurvival(f as number, d1 as number, d2 as number), p as number, 1e-11),
  );
  it.each(fixture.wilson)('wilsonInterval(%d, n=%d, %d)', (p, n, confidence, bounds) => {
    const { lower, upper } = wilsonInterval(p as number, n as number, confidence as number);
    close(lower, (bounds as number[])[0] as number, 1e-12);
    close(upper, (bounds as number[])[1] as number, 1e-12);
  });
  it.each(fixture.welchDf)('welchDf(%d, %d, %d, %d)', (v1, n1, v2, n2, df) =>
    close(welchDf(v1 as number, n1 as number, v2 as number, n2 as number), df as number, 1e-12),
  );
});

describe('kpi-stats properties', () => {
  // Above 5 the CDF is within 3e-7 of 1, where doubles keep only a few digits of the tail.
  it('the normal quantile inverts the CDF', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -8, max: 5, noNaN: true }),
        (x) => Math.abs(normalQuantile(normalCdf(x)) - x) < 1e-8,
      ),
    );
  });

  it('the t CDF inverts the t quantile and tends to the normal', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.double({ min: 1, max: 500, noNaN: true }),
        (p, df) => Math.abs(studentCdf(studentQuantile(p, df), df) - p) < 1e-9,
      ),
    );
    close(studentQuantile(0.975, 1e9), normalQuantile(0.975), 1e-12);
  });

  it('the incomplete beta is symmetric: I_x(a, b) = 1 - I_(1-x)(b, a)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 60, noNaN: true }),
        fc.double({ min: 0.1, max: 60, noNaN: true }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        (a, b, x) => Math.abs(betaIncomplete(a, b, x) - (1 - betaIncomplete(b, a, 1 - x))) < 1e-9,
      ),
    );
  });

  it('a Wilson interval lies in [0, 1], holds the proportion and narrows with the count', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (p, n) => {
          const small = wilsonInterval(p, n, 0.95);
          const large = wilsonInterval(p, n * 4, 0.95);
          return (
            small.lower >= 0 &&
            small.upper <= 1 &&
            small.lower <= p + 1e-12 &&
            small.upper >= p - 1e-12 &&
            large.upper - large.lower <= small.upper - small.lower + 1e-12
          );
        },
      ),
    );
  });

  it('a relative change interval holds the change and widens with the baseline error', () => {
    const window = { lower: 0.075, upper: 0.087 };
    const precise = relativeChangeInterval(0.081, window, 0.098, 0, 1.96);
    close(precise.change, 0.081 / 0.098 - 1, 1e-12);
    close(precise.lower, 0.075 / 0.098 - 1, 1e-12);
    close(precise.upper, 0.087 / 0.098 - 1, 1e-12);
    const noisy = relativeChangeInterval(0.081, window, 0.098, 0.002, 1.96);
    expect(noisy.lower).toBeLessThan(precise.lower);
    expect(noisy.upper).toBeGreaterThan(precise.upper);
  });
});
