import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareCategorical,
  compareNumeric,
  hellinger,
  jensenShannon,
  ksTestSorted,
  type NumericDrift,
  type NumericScores,
  psi,
  sortSample,
  wassersteinSorted,
} from '#domain/drift/index.ts';

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });
const sample = fc.array(finite, { minLength: 1, maxLength: 300 });
const histogram = fc.array(fc.nat(1000), { minLength: 2, maxLength: 12 }).filter((h) => h.some((c) => c > 0));
const labels = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 300 });

function scoresOf(result: NumericDrift): NumericScores {
  if (result.status !== 'ok') throw new Error(`expected a judged result: ${result.reason}`);
  return result.scores;
}

function shuffled<T>(values: readonly T[], seed: number): T[] {
  const out = [...values];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('identical samples are at distance zero', () => {
  it('numeric: KS statistic 0 (p = 1), Wasserstein, PSI, Jensen-Shannon and Hellinger 0', () => {
    fc.assert(
      fc.property(sample, (values) => {
        const scores = scoresOf(compareNumeric(values, values, { minRows: 1 }));
        expect(scores.ks.statistic).toBe(0);
        expect(scores.ks.pValue).toBe(1);
        expect(scores.wasserstein).toBe(0);
        expect(scores.psi).toBe(0);
        expect(scores.jensenShannon).toBe(0);
        expect(scores.hellinger).toBe(0);
      }),
    );
  });

  it('categorical: chi-squared statistic 0, PSI, Jensen-Shannon and Hellinger 0', () => {
    fc.assert(
      fc.property(labels, (values) => {
        const result = compareCategorical(values, values, { kind: 'categorical', minRows: 1 });
        if (result.status !== 'ok') throw new Error('expected a judged result');
        expect(result.scores.chiSquared?.statistic ?? 0).toBeCloseTo(0, 9);
        expect(result.scores.psi).toBe(0);
        expect(result.scores.jensenShannon).toBe(0);
        expect(result.scores.hellinger).toBe(0);
        expect(result.drifted).toBe(false);
      }),
    );
  });
});

describe('symmetric methods are symmetric', () => {
  it('KS (statistic and p-value) and Wasserstein on samples', () => {
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const sa = sortSample(a).sorted;
        const sb = sortSample(b).sorted;
        expect(ksTestSorted(sa, sb)).toEqual(ksTestSorted(sb, sa));
        const w1 = wassersteinSorted(sa, sb);
        const w2 = wassersteinSorted(sb, sa);
        expect(Math.abs(w1 - w2)).toBeLessThanOrEqual(1e-12 * Math.max(w1, 1));
      }),
    );
  });

  it('PSI, Jensen-Shannon and Hellinger on histograms over the same bins', () => {
    fc.assert(
      fc.property(histogram, histogram, (a, b) => {
        const n = Math.min(a.length, b.length);
        const [h1, h2] = [a.slice(0, n), b.slice(0, n)];
        fc.pre(h1.some((c) => c > 0) && h2.some((c) => c > 0));
        for (const score of [psi, jensenShannon, hellinger]) {
          expect(score(h1, h2)).toBeCloseTo(score(h2, h1), 12);
        }
      }),
    );
  });
});

describe('scores do not depend on row order', () => {
  it('numeric: any permutation of either sample gives identical results', () => {
    fc.assert(
      fc.property(sample, sample, fc.integer(), (a, b, seed) => {
        const original = compareNumeric(a, b, { minRows: 1 });
        expect(compareNumeric(shuffled(a, seed), shuffled(b, seed + 1), { minRows: 1 })).toEqual(original);
      }),
    );
  });

  it('categorical: any permutation of either sample gives identical results', () => {
    fc.assert(
      fc.property(labels, labels, fc.integer(), (a, b, seed) => {
        const original = compareCategorical(a, b, { minRows: 1 });
        expect(compareCategorical(shuffled(a, seed), shuffled(b, seed + 1), { minRows: 1 })).toEqual(
          original,
        );
      }),
    );
  });
});

describe('scores grow with a growing shift', () => {
  // A smooth reference (logistic quantiles, random spread and size) and copies of it shifted by
  // increasing multiples of a random step: every distance must be non-decreasing, KS p non-increasing.
  // Steps start at 5% of the spread: on ~200 rows a 2% step can move a single row between two
  // neighbouring bins and dip a binned score by ~1e-3 (measured), which is sampling, not the method.
  const reference = fc.record({
    n: fc.integer({ min: 200, max: 3000 }),
    spread: fc.double({ min: 0.01, max: 100, noNaN: true }),
    step: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
  });

  it('KS statistic, Wasserstein, PSI, Jensen-Shannon and Hellinger', () => {
    fc.assert(
      fc.property(reference, ({ n, spread, step }) => {
        const ref = Float64Array.from({ length: n }, (_, i) => spread * Math.log((i + 0.5) / (n - i - 0.5)));
        const prepared = compareNumeric(ref, ref, { minRows: 1 });
        let previous = scoresOf(prepared);
        for (let k = 1; k <= 6; k++) {
          const shifted = ref.map((v) => v + k * step * spread);
          const next = scoresOf(compareNumeric(ref, shifted, { minRows: 1 }));
          const slack = 1e-12;
          expect(next.ks.statistic).toBeGreaterThanOrEqual(previous.ks.statistic);
          expect(next.ks.pValue).toBeLessThanOrEqual(previous.ks.pValue + slack);
          expect(next.wasserstein).toBeGreaterThan(previous.wasserstein);
          expect(next.psi).toBeGreaterThanOrEqual(previous.psi - slack);
          expect(next.jensenShannon).toBeGreaterThanOrEqual(previous.jensenShannon - slack);
          expect(next.hellinger).toBeGreaterThanOrEqual(previous.hellinger - slack);
          previous = next;
        }
      }),
      { numRuns: 60 },
    );
  });
});
