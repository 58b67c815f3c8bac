import { describe, expect, it } from 'vitest';
import { EmptySampleError } from '#contracts/errors.ts';

import {
  alignCategories,
  chiSquared,
  countCategories,
  twoProportionZTest,
} from '#domain/drift/categorical.ts';

import { compareCategorical, UNSEEN_BUCKET } from '#domain/drift/compare.ts';

import { categoricalFixture, expand, expectClose } from './reference.ts';

describe('categorical scores agree with scipy/numpy on the committed fixtures', () => {
  it.each(categoricalFixture.cases)('$name', ({ reference, current, binary, expected }) => {
    const result = compareCategorical(expand(reference), expand(current), {
      kind: binary ? 'binary' : 'categorical',
      minRows: 1,
      psiEpsilon: categoricalFixture.psiEpsilon,
    });
    if (result.status !== 'ok') return expect.fail(`expected a judged result, got ${result.reason}`);
    const { scores } = result;
    expect(scores.histogram.categories).toEqual([...expected.categories, UNSEEN_BUCKET]);
    expect(scores.unseen.count).toBe(expected.unseen);
    expect(scores.chiSquared?.df).toBe(expected.chiSquared.df);
    expectClose(scores.chiSquared?.statistic ?? Number.NaN, expected.chiSquared.statistic, 1e-9);
    expectClose(scores.chiSquared?.pValue ?? Number.NaN, expected.chiSquared.pValue, 1e-9);
    expectClose(scores.jensenShannon, expected.jensenShannon, 1e-9, 1e-12);
    expectClose(scores.psi, expected.psi, 1e-9);
    expectClose(scores.hellinger, expected.hellinger, 1e-9);
    if (expected.zTest !== undefined) {
      expectClose(scores.zTest?.statistic ?? Number.NaN, expected.zTest.statistic, 1e-9, 1e-15);
      expectClose(scores.zTest?.pValue ?? Number.NaN, expected.zTest.pValue, 1e-9);
    } else {
      expect(scores.zTest).toBeUndefined();
    }
  });
});

describe('countCategories', () => {
  it('counts labels and codes, dropping missing values and infinite codes', () => {
    const { counts, sample } = countCategories([
      'a',
      'b',
      'a',
      null,
      undefined,
      '',
      1,
      1,
      true,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]);
    expect(Object.fromEntries(counts)).toEqual({ a: 2, b: 1, '1': 2, true: 1 });
    expect(sample).toEqual({ rows: 11, used: 6, missing: 4, infinite: 1 });
  });

  it('accepts integer codes in a typed array', () => {
    const { counts } = countCategories(Int32Array.of(3, 1, 3));
    expect(Object.fromEntries(counts)).toEqual({ '1': 1, '3': 2 });
  });
});

describe('unseen categories', () => {
  it('are counted and listed by frequency, never placed in a reference bin', () => {
    const aligned = alignCategories(
      new Map([
        ['a', 5],
        ['b', 5],
      ]),
      new Map([
        ['a', 3],
        ['z', 1],
        ['y', 4],
      ]),
    );
    expect(aligned.categories).toEqual(['a', 'b']);
    expect([...aligned.currentCounts]).toEqual([3, 0]);
    expect(aligned.unseen).toEqual({ count: 5, categories: ['y', 'z'] });
  });

  it('a window made only of unseen categories drifts (major) instead of crashing', () => {
    const result = compareCategorical(expand({ a: 50, b: 50, c: 50 }), expand({ x: 40 }), { minRows: 1 });
    expect(result.status).toBe('ok');
    expect(result.drifted).toBe(true);
    expect(result.severity).toBe('major');
    if (result.status === 'ok') {
      expect(result.scores.chiSquared).toBeUndefined();
      expect(result.scores.unseen.share).toBe(1);
      expect(result.reason).toMatch(/100\.0% of current rows/);
    }
  });

  it('leave the decision to the method up to maxUnseenShare and make the feature drift above it', () => {
    const reference = expand({ a: 500, b: 300, c: 200 });
    const current = expand({ a: 95, b: 60, c: 40, new: 5 });
    const tolerant = compareCategorical(reference, current, { maxUnseenShare: 0.05 });
    const strict = compareCategorical(reference, current, { maxUnseenShare: 0.01 });
    expect(tolerant.drifted).toBe(false);
    expect(strict.drifted).toBe(true);
    expect(strict.severity).toBe('moderate');
  });
});

describe('chiSquared', () => {
  it('has nothing to test with one category: statistic 0, p-value 1', () => {
    expect(chiSquared([10], [4])).toEqual({ statistic: 0, pValue: 1, df: 0 });
  });

  it('ignores categories without reference count', () => {
    expect(chiSquared([10, 10, 0], [5, 5, 7])).toEqual(chiSquared([10, 10], [5, 5]));
  });

  it('refuses empty sides with a named error', () => {
    expect(() => chiSquared([0, 0], [1, 1])).toThrow(EmptySampleError);
    expect(() => chiSquared([1, 1], [0, 0])).toThrow(EmptySampleError);
  });
});

describe('twoProportionZTest', () => {
  it('gives z = 0, p = 1 when both samples are all successes or all failures', () => {
    expect(twoProportionZTest(0, 10, 0, 5)).toMatchObject({ statistic: 0, pValue: 1 });
    expect(twoProportionZTest(10, 10, 5, 5)).toMatchObject({ statistic: 0, pValue: 1 });
  });

  it('is antisymmetric in its samples', () => {
    const ab = twoProportionZTest(30, 100, 45, 90);
    const ba = twoProportionZTest(45, 90, 30, 100);
    expectClose(ab.statistic, -ba.statistic, 1e-15);
    expectClose(ab.pValue, ba.pValue, 1e-15);
  });

  it('refuses an empty sample with a named error', () => {
    expect(() => twoProportionZTest(0, 0, 1, 2)).toThrow(EmptySampleError);
    expect(() => twoProportionZTest(1, 2, 0, 0)).toThrow(EmptySampleError);
  });
});
