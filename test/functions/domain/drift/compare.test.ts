import { describe, expect, it } from 'vitest';
import { DriftInputError, EmptySampleError } from '#contracts/errors.ts';

import {
  chooseMethod,
  compareCategorical,
  compareNumeric,
  DEFAULT_RULES,
  type DriftMethod,
  datasetDrift,
  type FeatureDrift,
  judge,
  prepareNumericReference,
  ruleFor,
} from '#domain/drift/index.ts';
import { expand } from './reference.ts';

/** n evenly spread logistic quantiles (unit-ish spread), shifted and scaled: deterministic test data. */
function normalGrid(n: number, shift = 0, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = (i + 0.5) / n;
    out[i] = shift + scale * Math.log(p / (1 - p)) * 0.5513;
  }
  return out;
}

describe('chooseMethod (Evidently defaults)', () => {
  it.each([
    ['numeric', 1000, 'ks'],
    ['numeric', 1001, 'wasserstein'],
    ['categorical', 1000, 'chisquare'],
    ['categorical', 5000, 'jensenshannon'],
    ['binary', 200, 'ztest'],
    ['binary', 2000, 'jensenshannon'],
  ] as const)('%s with %s reference rows -> %s', (kind, n, method) => {
    expect(chooseMethod(kind, n)).toBe(method);
  });

  it('moves the small/large boundary when told', () => {
    expect(chooseMethod('numeric', 1500, 2000)).toBe('ks');
  });
});

describe('judge: thresholds and severity bands', () => {
  it.each([
    ['ks', 0.05, true, 'moderate'],
    ['ks', 0.0009, true, 'major'],
    ['ks', 0.2, false, 'none'],
    ['chisquare', 0.05, false, 'none'],
    ['chisquare', 0.049, true, 'moderate'],
    ['ztest', 0.0001, true, 'major'],
    ['psi', 0.09, false, 'none'],
    ['psi', 0.1, true, 'moderate'],
    ['psi', 0.25, true, 'major'],
    ['wasserstein', 0.12, true, 'moderate'],
    ['wasserstein', 0.3, true, 'major'],
    ['jensenshannon', 0.15, true, 'moderate'],
    ['jensenshannon', 0.2, true, 'major'],
    ['hellinger', 0.05, false, 'none'],
  ] as const)('%s value %s -> drifted %s, %s', (method, value, drifted, severity) => {
    expect(judge(DEFAULT_RULES[method], value)).toEqual({ drifted, severity });
  });

  it('takes per-method overrides of the drift and major thresholds', () => {
    const rule = ruleFor('psi', { threshold: 0.2, major: 0.5 });
    expect(judge(rule, 0.15)).toEqual({ drifted: false, severity: 'none' });
    expect(judge(rule, 0.3)).toEqual({ drifted: true, severity: 'moderate' });
  });
});

describe('compareNumeric', () => {
  it('uses KS on a small reference and finds a shifted window', () => {
    const result = compareNumeric(normalGrid(500), normalGrid(300, 0.5));
    expect(result).toMatchObject({
      status: 'ok',
      kind: 'numeric',
      method: 'ks',
      test: 'p-value',
      drifted: true,
    });
  });

  it('uses normed Wasserstein on a large reference and leaves an unshifted window alone', () => {
    const result = compareNumeric(normalGrid(5000), normalGrid(3000));
    expect(result).toMatchObject({ status: 'ok', method: 'wasserstein', test: 'distance', drifted: false });
  });

  it('normed Wasserstein is the raw distance over the reference standard deviation', () => {
    const result = compareNumeric(normalGrid(2000, 0, 3), normalGrid(2000, 1.5, 3));
    if (result.status !== 'ok') return expect.fail('expected a judged result');
    const { std } = prepareNumericReference(normalGrid(2000, 0, 3));
    expect(result.scores.wassersteinNormed).toBeCloseTo(result.scores.wasserstein / std, 14);
    expect(result.value).toBe(result.scores.wassersteinNormed);
  });

  it.each(['psi', 'jensenshannon', 'hellinger', 'ks', 'wasserstein'] as const)(
    'lets the policy override the method (%s) and reports that method',
    (method) => {
      const result = compareNumeric(normalGrid(400), normalGrid(400, 1), { method });
      expect(result).toMatchObject({ status: 'ok', method, drifted: true });
    },
  );

  it('refuses a categorical method with a named error', () => {
    expect(() => compareNumeric(normalGrid(100), normalGrid(100), { method: 'chisquare' })).toThrow(
      DriftInputError,
    );
  });

  it('counts and drops missing and infinite values before judging', () => {
    const window = [
      ...normalGrid(100),
      Number.NaN,
      null,
      undefined,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ];
    const result = compareNumeric(normalGrid(100), window);
    expect(result.current).toEqual({ rows: 105, used: 100, missing: 3, infinite: 2 });
    expect(result).toMatchObject({ status: 'ok', drifted: false });
  });

  it.each([
    ['an empty window', []],
    ['a window of missing values only', [Number.NaN, null, Number.POSITIVE_INFINITY]],
    ['a window below minRows', [0.1, 0.2, 0.3]],
  ])('%s is insufficient data, never drift', (_name, window) => {
    const result = compareNumeric(normalGrid(200), window, { minRows: 10 });
    expect(result).toMatchObject({
      status: 'insufficient-data',
      drifted: false,
      severity: 'none',
      minRows: 10,
    });
    if (result.status === 'insufficient-data')
      expect(result.reason).toMatch(/current window has \d+ usable rows/);
  });

  it('a reference below minRows is insufficient data too', () => {
    const result = compareNumeric([1, 2, 3], normalGrid(100), { minRows: 5 });
    expect(result).toMatchObject({ status: 'insufficient-data', drifted: false });
    if (result.status === 'insufficient-data') expect(result.reason).toMatch(/^reference has 3 usable rows/);
  });

  it('an empty reference is a configuration error with a named error class, never NaN', () => {
    expect(() => compareNumeric([], normalGrid(100))).toThrow(EmptySampleError);
    expect(() => compareNumeric([Number.NaN], normalGrid(100))).toThrow(EmptySampleError);
  });

  it('rejects a minRows below 1', () => {
    expect(() => compareNumeric(normalGrid(50), normalGrid(50), { minRows: 0 })).toThrow(RangeError);
  });

  it('a prepared reference gives the same result as the raw one, window after window', () => {
    const raw = normalGrid(800);
    const prepared = prepareNumericReference(raw);
    for (const shift of [0, 0.2, 0.4]) {
      expect(compareNumeric(prepared, normalGrid(300, shift))).toEqual(
        compareNumeric(raw, normalGrid(300, shift)),
      );
    }
  });

  it('a constant reference is compared without dividing by zero', () => {
    const result = compareNumeric(new Float64Array(100).fill(2), new Float64Array(100).fill(2.5), {
      method: 'wasserstein',
    });
    expect(result).toMatchObject({ status: 'ok', drifted: true, severity: 'major' });
    if (result.status === 'ok') expect(result.value).toBeCloseTo(500, 9);
  });
});

describe('compareCategorical', () => {
  it('treats a reference with two categories as binary and uses the z-test', () => {
    const result = compareCategorical(expand({ yes: 300, no: 700 }), expand({ yes: 50, no: 50 }));
    expect(result).toMatchObject({ status: 'ok', kind: 'binary', method: 'ztest', drifted: true });
  });

  it('uses chi-squared for a small categorical reference and Jensen-Shannon for a large one', () => {
    const small = compareCategorical(expand({ a: 300, b: 300, c: 400 }), expand({ a: 30, b: 30, c: 40 }));
    const large = compareCategorical(expand({ a: 3000, b: 3000, c: 4000 }), expand({ a: 30, b: 30, c: 40 }));
    expect(small).toMatchObject({ method: 'chisquare', drifted: false });
    expect(large).toMatchObject({ method: 'jensenshannon', drifted: false });
  });

  it('counts the chosen positive category in the z-test, and refuses one the reference lacks', () => {
    const reference = expand({ yes: 300, no: 700 });
    const current = expand({ yes: 50, no: 50 });
    const yes = compareCategorical(reference, current, { positive: 'yes' });
    const no = compareCategorical(reference, current, { positive: 'no' });
    if (yes.status !== 'ok' || no.status !== 'ok') return expect.fail('expected judged results');
    expect(yes.scores.zTest?.referenceProportion).toBe(0.3);
    expect(no.scores.zTest?.statistic).toBeCloseTo(-(yes.scores.zTest?.statistic ?? 0), 12);
    expect(() => compareCategorical(reference, current, { positive: 'maybe' })).toThrow(DriftInputError);
  });

  it('refuses to call a three-category feature binary', () => {
    expect(() => compareCategorical(expand({ a: 5, b: 5, c: 5 }), ['a'], { kind: 'binary' })).toThrow(
      DriftInputError,
    );
  });

  it('refuses the z-test on a categorical feature and KS anywhere categorical', () => {
    const reference = expand({ a: 50, b: 50, c: 50 });
    expect(() => compareCategorical(reference, reference, { method: 'ztest' })).toThrow(DriftInputError);
    expect(() => compareCategorical(reference, reference, { method: 'ks' as DriftMethod })).toThrow(
      DriftInputError,
    );
  });

  it('a window below minRows is insufficient data', () => {
    const result = compareCategorical(expand({ a: 50, b: 50, c: 50 }), ['a', null, 'b']);
    expect(result).toMatchObject({ status: 'insufficient-data', drifted: false, severity: 'none' });
    expect(result.current).toEqual({ rows: 3, used: 2, missing: 1, infinite: 0 });
  });

  it('an empty reference is a named error', () => {
    expect(() => compareCategorical([null, ''], ['a'])).toThrow(EmptySampleError);
  });
});

describe('datasetDrift', () => {
  const judged = (
    drifted: boolean,
    severity: 'none' | 'moderate' | 'major' = drifted ? 'moderate' : 'none',
  ) => ({ status: 'ok', drifted, severity }) as FeatureDrift;
  const insufficient = { status: 'insufficient-data', drifted: false, severity: 'none' } as FeatureDrift;

  it.each([
    ['half of the judged features drifted', [true, true, false, false], 0.5, true],
    ['a third drifted', [true, false, false], 1 / 3, false],
    ['all drifted', [true, true], 1, true],
  ])('%s', (_name, flags, share, drifted) => {
    const results = Object.fromEntries(flags.map((flag, i) => [`f${i}`, judged(flag)]));
    expect(datasetDrift(results)).toMatchObject({ status: 'ok', share, drifted, judged: flags.length });
  });

  it('leaves features with insufficient data out of the share and lists them', () => {
    const result = datasetDrift(
      new Map([
        ['a', judged(true, 'major')],
        ['b', insufficient],
        ['c', judged(false)],
      ]),
    );
    expect(result).toMatchObject({
      share: 0.5,
      drifted: true,
      judged: 2,
      driftedFeatures: ['a'],
      majorFeatures: ['a'],
      insufficientFeatures: ['b'],
    });
  });

  it('is insufficient data, not drift, when no feature could be judged', () => {
    expect(datasetDrift({ a: insufficient })).toMatchObject({
      status: 'insufficient-data',
      drifted: false,
      share: 0,
    });
  });

  it('takes a custom share threshold', () => {
    expect(datasetDrift({ a: judged(true), b: judged(false), c: judged(false) }, 0.3).drifted).toBe(true);
  });
});
