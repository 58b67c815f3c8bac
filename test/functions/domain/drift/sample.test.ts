import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DriftInputError } from '#contracts/errors.ts';

import {
  lowerBound,
  meanAndStd,
  quantileSorted,
  radixSort,
  sortSample,
  upperBound,
} from '#domain/drift/sample.ts';

describe('sortSample', () => {
  it('counts and drops missing and infinite values from a Float64Array', () => {
    const input = Float64Array.from([
      3,
      Number.NaN,
      -1,
      Number.POSITIVE_INFINITY,
      2,
      Number.NEGATIVE_INFINITY,
    ]);
    const { sorted, counts } = sortSample(input);
    expect([...sorted]).toEqual([-1, 2, 3]);
    expect(counts).toEqual({ rows: 6, used: 3, missing: 1, infinite: 2 });
  });

  it('counts null and undefined as missing in a plain array', () => {
    const { sorted, counts } = sortSample([1, null, undefined, Number.NaN, 0.5]);
    expect([...sorted]).toEqual([0.5, 1]);
    expect(counts).toEqual({ rows: 5, used: 2, missing: 3, infinite: 0 });
  });

  it('leaves its input untouched', () => {
    const input = Float64Array.from([3, 1, 2]);
    sortSample(input);
    expect([...input]).toEqual([3, 1, 2]);
  });

  it('rejects a value that is not a number with a named error', () => {
    expect(() => sortSample(['1.5' as unknown as number])).toThrow(DriftInputError);
  });

  it('returns an empty sample (not an error) when every value is dropped', () => {
    const { sorted, counts } = sortSample([Number.NaN, null]);
    expect(sorted.length).toBe(0);
    expect(counts.missing).toBe(2);
  });
});

describe('radixSort', () => {
  it('orders large samples exactly as the built-in numeric sort', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 2048, maxLength: 5000 }),
        (values) => {
          const ours = radixSort(Float64Array.from(values));
          const builtIn = Float64Array.from(values).sort();
          expect(ours).toEqual(builtIn);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('handles negatives, zeros, subnormals and extremes on the radix path', () => {
    const specials = [-Number.MAX_VALUE, -1e-310, -0, 0, 5e-324, 1, Number.MAX_VALUE, -2.5, 1e300];
    const values = new Float64Array(4096);
    for (let i = 0; i < values.length; i++) values[i] = specials[(i * 7) % specials.length] as number;
    const sorted = radixSort(values.slice());
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i - 1] as number).toBeLessThanOrEqual(sorted[i] as number);
    expect(sorted[0]).toBe(-Number.MAX_VALUE);
    expect(sorted[sorted.length - 1]).toBe(Number.MAX_VALUE);
  });
});

describe('bounds and quantiles', () => {
  const sorted = Float64Array.from([1, 2, 2, 2, 5]);

  it.each([
    [0, 0, 0],
    [2, 1, 4],
    [3, 4, 4],
    [9, 5, 5],
  ])('at %s: lowerBound %s, upperBound %s', (x, lower, upper) => {
    expect(lowerBound(sorted, x)).toBe(lower);
    expect(upperBound(sorted, x)).toBe(upper);
  });

  it.each([
    [0, 1],
    [0.25, 2],
    [0.5, 2],
    [0.9, 3.8000000000000003],
    [1, 5],
  ])('quantile %s is %s (numpy linear)', (q, expected) => {
    expect(quantileSorted(sorted, q)).toBe(expected);
  });

  it('mean and population standard deviation', () => {
    const { mean, std } = meanAndStd(Float64Array.from([2, 4, 4, 4, 5, 5, 7, 9]));
    expect(mean).toBe(5);
    expect(std).toBe(2);
  });
});
