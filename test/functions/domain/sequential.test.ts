import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalQuantile } from '#domain/kpi-stats.ts';
import { mulberry32 } from '#domain/random.ts';
import { confidenceSequence, mixtureRadius, mixtureRatio } from '#domain/sequential.ts';
import fixture from './fixtures/kpi-stats.json' with { type: 'json' };

describe('mSPRT confidence sequence (Johari et al.)', () => {
  it.each(fixture.mixtureRadius)('radius(V=%d, τ²=%d, α=%d)', (v, t, alpha, radius) => {
    expect(mixtureRadius(v as number, t as number, alpha as number)).toBeCloseTo(radius as number, 14);
  });

  it('its bounds are where the mixture ratio reaches 1/α', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-8, max: 1, noNaN: true }),
        fc.double({ min: 1e-8, max: 1, noNaN: true }),
        fc.constantFrom(0.01, 0.05, 0.1),
        (v, t, alpha) => {
          const r = mixtureRadius(v, t, alpha);
          return Math.abs(Math.log(mixtureRatio(r, 0, v, t)) - Math.log(1 / alpha)) < 1e-7;
        },
      ),
    );
  });

  it('is wider than the fixed-sample interval (the price of checking at every bake period)', () => {
    const v = 1e-4;
    expect(mixtureRadius(v, 1e-4, 0.05)).toBeGreaterThan(normalQuantile(0.975) * Math.sqrt(v));
  });

  it('holds under repeated looks: a seeded null stream leaves it at most α of the time', () => {
    // 2,000 streams of 50 looks each at N(0, 1) samples; a fixed-sample 95% interval checked 50 times would be
    // left by about a third of them.
    const next = mulberry32(17);
    const gaussian = () =>
      Math.sqrt(-2 * Math.log(Math.max(next(), 1e-300))) * Math.cos(2 * Math.PI * next());
    let left = 0;
    let leftFixed = 0;
    for (let stream = 0; stream < 2000; stream += 1) {
      let sum = 0;
      let n = 0;
      let out = false;
      let outFixed = false;
      for (let look = 0; look < 50; look += 1) {
        for (let i = 0; i < 20; i += 1) sum += gaussian();
        n += 20;
        const bounds = confidenceSequence(sum / n, 1 / n, 0.1, 0.05);
        if (bounds.lower > 0 || bounds.upper < 0) out = true;
        if (Math.abs(sum / n) > 1.96 / Math.sqrt(n)) outFixed = true;
      }
      if (out) left += 1;
      if (outFixed) leftFixed += 1;
    }
    expect(left / 2000).toBeLessThanOrEqual(0.05);
    expect(leftFixed / 2000).toBeGreaterThan(0.2);
  });
});
