import { describe, expect, it } from 'vitest';
import { EmptySampleError } from '#contracts/errors.ts';

import { binCounts, binCountsSorted, buildBins } from '#domain/drift/bins.ts';

import { numericScores, prepareNumericReference } from '#domain/drift/compare.ts';

import { hellinger, jensenShannon, psi, wassersteinSorted } from '#domain/drift/distances.ts';

import { ksPValue, ksTestSorted } from '#domain/drift/ks.ts';

import { sortSample } from '#domain/drift/sample.ts';

import { expectClose, numericFixture, samples } from './reference.ts';

const cases = numericFixture.cases.map((c) => ({ ...c, ...samples(c) }));

describe('numeric scores agree with numpy/scipy on the committed fixtures', () => {
  it.each(cases)('$name', ({ reference, current, expected }) => {
    const ref = prepareNumericReference(reference, numericFixture.bins);
    const scores = numericScores(ref, sortSample(current).sorted, numericFixture.psiEpsilon);

    // Bins are bit-identical to numpy.quantile edges, so the counts are exact.
    expect(scores.histogram.edges).toEqual(expected.edges);
    expect(scores.histogram.reference).toEqual(expected.referenceCounts);
    expect(scores.histogram.current).toEqual(expected.currentCounts);

    // Same lattice statistic; p-value by the same algorithm as scipy (see special.test.ts for its bound).
    expect(scores.ks.method).toBe(expected.ks.method);
    expect(scores.ks.statistic).toBe(expected.ks.statistic);
    expectClose(scores.ks.pValue, expected.ks.pValue, 1e-9);

    expectClose(scores.wasserstein, expected.wasserstein, 1e-9);
    expectClose(ref.std, expected.std, 1e-9);
    expectClose(scores.wassersteinNormed, expected.wassersteinNormed, 1e-9);
    expectClose(scores.psi, expected.psi, 1e-9);
    expectClose(scores.hellinger, expected.hellinger, 1e-9);
    // JS is the square root of a divergence summed with cancellation: near 0 its absolute error is
    // about 1e-17 / JS in scipy and here alike, hence the small absolute term (measured: 1e-13).
    expectClose(scores.jensenShannon, expected.jensenShannon, 1e-9, 1e-12);
  });
});

describe('buildBins', () => {
  it('fixes edges on the reference: min, deciles, max, with two overflow bins', () => {
    const reference = Float64Array.from({ length: 101 }, (_, i) => i);
    const bins = buildBins(reference);
    expect([...bins.edges]).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(bins.size).toBe(12);
    expect([...bins.referenceCounts]).toEqual([0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 11, 0]);
  });

  it('deduplicates tied quantiles so heavy ties make fewer, wider bins', () => {
    const reference = [0, 0, 0, 0, 0, 0, 0, 1, 2, 3];
    const bins = buildBins(reference, 5);
    // numpy.quantile([...], 0.8) === 1.2000000000000002: the 0.2..0.6 quantiles all tie at 0.
    expect([...bins.edges]).toEqual([0, 1.2000000000000002, 3]);
    expect([...bins.referenceCounts]).toEqual([0, 8, 2, 0]);
  });

  it('gives a constant reference one point bin between the overflow bins', () => {
    const bins = buildBins([4, 4, 4]);
    expect([...bins.edges]).toEqual([4]);
    expect([...binCounts(bins, [3, 4, 4, 5, 6])]).toEqual([1, 2, 2]);
  });

  it('keeps windows comparable: values outside the reference range land in the overflow bins', () => {
    const bins = buildBins([1, 2, 3, 4, 5], 2);
    expect([...binCounts(bins, [0, 1, 3, 5, 5.5, 100])]).toEqual([1, 1, 2, 2]);
  });

  it('counts an unsorted window exactly as a sorted one, skipping missing and infinite values', () => {
    const bins = buildBins(Float64Array.from({ length: 50 }, (_, i) => Math.sin(i) * 10));
    const window = Float64Array.from({ length: 200 }, (_, i) => Math.cos(i) * 12);
    const withJunk = [...window, Number.NaN, Number.POSITIVE_INFINITY];
    expect(binCounts(bins, withJunk)).toEqual(binCountsSorted(bins, sortSample(window).sorted));
  });

  it('refuses an empty reference with a named error', () => {
    expect(() => buildBins([])).toThrow(EmptySampleError);
    expect(() => buildBins([Number.NaN])).toThrow(EmptySampleError);
  });

  it('refuses a bin count that is not a positive integer', () => {
    expect(() => buildBins([1, 2], 0)).toThrow(RangeError);
  });
});

describe('histogram distances', () => {
  it('PSI fills empty bins with epsilon, then renormalises', () => {
    // r = (0.5+e, 0.5+e, e) / (1+3e), c = (e, 0.5+e, 0.5+e) / (1+3e), e = 1e-4.
    const e = 1e-4;
    const n = 1 + 3 * e;
    const r = [(0.5 + e) / n, (0.5 + e) / n, e / n];
    const c = [e / n, (0.5 + e) / n, (0.5 + e) / n];
    const expected = r.reduce(
      (sum, ri, i) => sum + ((c[i] as number) - ri) * Math.log((c[i] as number) / ri),
      0,
    );
    expectClose(psi([1, 1, 0], [0, 1, 1]), expected, 1e-14);
  });

  it('PSI honours a custom epsilon', () => {
    expect(psi([1, 0], [0, 1], 0.01)).toBeLessThan(psi([1, 0], [0, 1], 1e-6));
  });

  it.each([
    ['disjoint histograms', [5, 0], [0, 3], 1, 1],
    ['identical proportions', [2, 4], [1, 2], 0, 0],
  ])('%s: Jensen-Shannon %s, Hellinger %s', (_name, a, b, js, h) => {
    expectClose(jensenShannon(a, b), js, 1e-15, 1e-15);
    expectClose(hellinger(a, b), h, 1e-15, 1e-15);
  });

  it.each([
    ['psi', psi],
    ['jensenShannon', jensenShannon],
    ['hellinger', hellinger],
  ])('%s refuses an empty histogram and histograms of different lengths', (_name, score) => {
    expect(() => score([0, 0], [1, 1])).toThrow(EmptySampleError);
    expect(() => score([1, 1], [0, 0])).toThrow(EmptySampleError);
    expect(() => score([1, 1], [1, 1, 1])).toThrow(RangeError);
  });
});

describe('Wasserstein and KS on sorted samples', () => {
  it('Wasserstein of two point masses is their distance', () => {
    expect(wassersteinSorted(Float64Array.of(1), Float64Array.of(4))).toBe(3);
  });

  it('Wasserstein of a shifted copy is the shift', () => {
    const a = Float64Array.from({ length: 20 }, (_, i) => i);
    const b = a.map((v) => v + 2.5);
    expectClose(wassersteinSorted(a, b), 2.5, 1e-14);
  });

  it('KS picks the exact p-value up to 10,000 rows per sample and the asymptotic one above', () => {
    expect(ksPValue(0.1, 10_000, 10_000).method).toBe('exact');
    expect(ksPValue(0.1, 10_001, 50).method).toBe('asymptotic');
  });

  it('KS of disjoint samples has statistic 1', () => {
    const result = ksTestSorted(Float64Array.of(1, 2, 3), Float64Array.of(4, 5));
    expect(result.statistic).toBe(1);
    expect(result.pValue).toBeCloseTo(0.2, 12);
  });

  it.each([
    ['Wasserstein', wassersteinSorted],
    ['KS', ksTestSorted],
  ])('%s refuses an empty sample with a named error', (_name, score) => {
    expect(() => score(new Float64Array(0), Float64Array.of(1))).toThrow(EmptySampleError);
    expect(() => score(Float64Array.of(1), new Float64Array(0))).toThrow(EmptySampleError);
  });
});
