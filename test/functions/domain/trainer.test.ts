import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataError } from '#contracts/errors.ts';

import { parseNumericTable } from '#datasets/index.ts';

import { rocAuc } from '#domain/metrics.ts';

import { mulberry32 as prng } from '#domain/random.ts';

import type { NumericTable } from '#domain/table.ts';
import {
  fitLogisticRegression,
  type LogisticModel,
  parseModel,
  predictOne,
  predictTable,
  sigmoid,
  type TrainingParams,
  trainLogisticRegression,
} from '#domain/trainer.ts';

import { thrownBy } from '../../support/errors.ts';

const PARAMS: TrainingParams = { l2: 0.001 };

/** Features uniform in [-scale, scale] (+ offset), label drawn from the logistic model with `coefficients`. */
function synthetic(
  rows: number,
  coefficients: number[],
  options: { seed?: number; intercept?: number; separable?: boolean; offset?: number; scale?: number } = {},
): NumericTable {
  const random = prng(options.seed ?? 1);
  const d = coefficients.length;
  const columns = [...coefficients.map((_, j) => `x${j}`), 'y'];
  const values = new Float64Array(rows * (d + 1));
  for (let i = 0; i < rows; i++) {
    let z = options.intercept ?? 0;
    coefficients.forEach((c, j) => {
      const x = (random() * 2 - 1) * (options.scale ?? 1);
      values[i * (d + 1) + j] = x + (options.offset ?? 0);
      z += c * x;
    });
    values[i * (d + 1) + d] = options.separable ? (z > 0 ? 1 : 0) : random() < sigmoid(z) ? 1 : 0;
  }
  return { columns, rows, values, source: 'synthetic' };
}

const featuresOf = (table: NumericTable): string[] => table.columns.filter((name) => name !== 'y');

function labelsOf(table: NumericTable): Float64Array {
  const width = table.columns.length;
  const index = table.columns.indexOf('y');
  return Float64Array.from({ length: table.rows }, (_, i) => table.values[i * width + index] as number);
}

function norm(values: number[]): number {
  return Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
}

const dataError = (fn: () => unknown) => thrownBy(DataError, fn);

/** Population mean and std of each column (std 1 for a constant one), as the trainer standardises. */
function standardisation(table: NumericTable, features: string[]) {
  const width = table.columns.length;
  return features.map((name) => {
    const index = table.columns.indexOf(name);
    const values = Array.from({ length: table.rows }, (_, i) => table.values[i * width + index] as number);
    const mean = values.reduce((sum, v) => sum + v, 0) / table.rows;
    const std = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / table.rows);
    return { index, mean, std: std > 0 ? std : 1 };
  });
}

/** Rows of standardised features, independently of the trainer. */
function standardised(table: NumericTable, features: string[], scales = standardisation(table, features)) {
  const width = table.columns.length;
  return Array.from({ length: table.rows }, (_, i) =>
    scales.map(({ index, mean, std }) => ((table.values[i * width + index] as number) - mean) / std),
  );
}

/** Gradient of mean log-loss + l2/2 |w|^2 at (weights, bias), computed here on standardised features. */
function objectiveGradient(
  rows: number[][],
  y: ArrayLike<number>,
  weights: number[],
  bias: number,
  l2: number,
) {
  const d = weights.length;
  const gradient = new Array<number>(d + 1).fill(0);
  rows.forEach((x, i) => {
    const p = sigmoid(bias + x.reduce((z, v, j) => z + v * (weights[j] as number), 0));
    const r = (p - (y[i] as number)) / rows.length;
    x.forEach((v, j) => {
      gradient[j] = (gradient[j] as number) + r * v;
    });
    gradient[d] = (gradient[d] as number) + r;
  });
  weights.forEach((w, j) => {
    gradient[j] = (gradient[j] as number) + l2 * w;
  });
  return gradient;
}

/** Solves A x = b by Gaussian elimination with partial pivoting (A small and dense). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs(m[r]?.[c] as number) > Math.abs(m[pivot]?.[c] as number)) pivot = r;
    [m[c], m[pivot]] = [m[pivot] as number[], m[c] as number[]];
    for (let r = c + 1; r < n; r++) {
      const f = (m[r]?.[c] as number) / (m[c]?.[c] as number);
      for (let k = c; k <= n; k++) (m[r] as number[])[k] = (m[r]?.[k] as number) - f * (m[c]?.[k] as number);
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = m[r]?.[n] as number;
    for (let k = r + 1; k < n; k++) sum -= (m[r]?.[k] as number) * (x[k] as number);
    x[r] = sum / (m[r]?.[r] as number);
  }
  return x;
}

/**
 * The reference solution: plain undamped Newton on the same objective from the same start, run for 60
 * iterations (far past convergence), with its own standardisation, Hessian and solver.
 */
function referenceSolution(table: NumericTable, features: string[], l2: number) {
  const rows = standardised(table, features);
  const y = labelsOf(table);
  const d = features.length;
  const share = y.reduce((sum, v) => sum + v, 0) / y.length;
  let weights = new Array<number>(d).fill(0);
  let bias = Math.log(share / (1 - share));
  for (let iteration = 0; iteration < 60; iteration++) {
    const gradient = objectiveGradient(rows, y, weights, bias, l2);
    const hessian = Array.from({ length: d + 1 }, (_, j) =>
      Array.from({ length: d + 1 }, (_, k) => (j === k && j < d ? l2 : 0)),
    );
    for (const x of rows) {
      const p = sigmoid(bias + x.reduce((z, v, j) => z + v * (weights[j] as number), 0));
      const s = (p * (1 - p)) / rows.length;
      const xb = [...x, 1];
      for (let j = 0; j <= d; j++)
        for (let k = 0; k <= d; k++)
          (hessian[j] as number[])[k] =
            (hessian[j]?.[k] as number) + s * (xb[j] as number) * (xb[k] as number);
    }
    const step = solve(
      hessian,
      gradient.map((g) => -g),
    );
    weights = weights.map((w, j) => w + (step[j] as number));
    bias += step[d] as number;
  }
  let loss = 0;
  rows.forEach((x, i) => {
    const z = bias + x.reduce((sum, v, j) => sum + v * (weights[j] as number), 0);
    loss += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - (y[i] as number) * z;
  });
  const objective = loss / rows.length + (l2 / 2) * weights.reduce((sum, w) => sum + w * w, 0);
  return { weights, bias, objective, gradient: objectiveGradient(rows, y, weights, bias, l2) };
}

describe('trainLogisticRegression', () => {
  it('learns a noisy dataset about as well as the true model, on fresh data', () => {
    const coefficients = [2, -1, 0.5, 0, 1.5];
    const train = synthetic(4000, coefficients, { seed: 1, intercept: -0.3 });
    const test = synthetic(4000, coefficients, { seed: 2, intercept: -0.3 });
    const model = trainLogisticRegression(train, featuresOf(train), 'y', PARAMS);
    const auc = rocAuc(labelsOf(test), predictTable(model, test));
    const zeros = coefficients.map(() => 0);
    const truth: LogisticModel = {
      ...model,
      means: zeros,
      stds: zeros.map(() => 1),
      weights: coefficients,
      bias: -0.3,
    };
    const trueAuc = rocAuc(labelsOf(test), predictTable(truth, test));
    expect(auc).toBeGreaterThan(0.8);
    expect(auc).toBeGreaterThan(trueAuc - 0.01);
  });

  it('ranks a separable dataset perfectly', () => {
    const table = synthetic(500, [3, -2], { seed: 3, separable: true });
    const model = trainLogisticRegression(table, featuresOf(table), 'y', { ...PARAMS, l2: 0 });
    expect(rocAuc(labelsOf(table), predictTable(model, table))).toBe(1);
  });

  it.each([[[2, -1]], [[-3, 0.5, 1]], [[0.8, 0.8, -0.8, -1.6]], [[-1, 2, -1, 2, -1]]])(
    'recovers the signs and order of magnitude of true coefficients %j',
    (coefficients) => {
      const table = synthetic(5000, coefficients, { seed: 4, offset: 10, scale: 2 });
      const model = trainLogisticRegression(table, featuresOf(table), 'y', PARAMS);
      model.weights.forEach((w, j) => {
        const trueCoefficient = coefficients[j] as number;
        expect(Math.sign(w)).toBe(Math.sign(trueCoefficient));
        // Weights are per standard deviation; the true coefficient per unit of a feature with std 2/sqrt(3).
        const perUnit = w / (model.stds[j] as number);
        expect(perUnit / trueCoefficient).toBeGreaterThan(0.7);
        expect(perUnit / trueCoefficient).toBeLessThan(1.3);
      });
    },
  );

  it('records the training mean and population standard deviation of each feature', async () => {
    const table = await parseNumericTable('a,b,y\n1,10,0\n2,10,1\n3,40,0\n6,20,1\n', ['a', 'b', 'y']);
    const model = trainLogisticRegression(table, ['b', 'a'], 'y', PARAMS);
    expect(model.features).toEqual(['b', 'a']);
    expect(model.means).toEqual([20, 3]);
    expect(model.stds[0]).toBeCloseTo(Math.sqrt(150), 12);
    expect(model.stds[1]).toBeCloseTo(Math.sqrt(3.5), 12);
  });

  it.each<[string, NumericTable, number]>([
    ['3 features, l2 0.01', synthetic(2000, [1.5, -0.5, 0.7], { seed: 5, intercept: 0.4 }), 0.01],
    [
      'offset and scaled features, l2 0.001',
      synthetic(1500, [2, -1, 0.5, 0], { seed: 12, offset: 40, scale: 7 }),
      0.001,
    ],
    ['no penalty', synthetic(800, [0.8, -1.2], { seed: 13, intercept: -1 }), 0],
    ['a strong penalty', synthetic(600, [3, -3, 1], { seed: 14 }), 1],
    ['rare positives', synthetic(3000, [1, 1], { seed: 15, intercept: -4 }), 0.001],
    [
      'past the row sample (the first Hessians from every 6th row)',
      synthetic(25_000, [1.2, -0.7, 0.3], { seed: 16 }),
      0.001,
    ],
  ])('matches the reference Newton solution: %s', (_, table, l2) => {
    const features = featuresOf(table);
    const reference = referenceSolution(table, features, l2);
    expect(Math.max(...reference.gradient.map(Math.abs))).toBeLessThan(1e-12);
    // Asked for every partial derivative within 1e-10 of 0: the objective at the minimum to rounding, the
    // weights within about 1e-10 / (smallest curvature).
    const precise = fitLogisticRegression(table, features, 'y', { l2, tolerance: 1e-10 });
    expect(precise.gradient).toBeLessThanOrEqual(1e-10);
    expect(Math.abs(precise.objective - reference.objective)).toBeLessThan(1e-14);
    precise.model.weights.forEach((w, j) => {
      expect(Math.abs(w - (reference.weights[j] as number))).toBeLessThan(1e-8 * Math.max(1, Math.abs(w)));
    });
    expect(Math.abs(precise.model.bias - reference.bias)).toBeLessThan(
      1e-8 * Math.max(1, Math.abs(reference.bias)),
    );
    // The default tolerance (1e-6) leaves the objective within ~1e-12 of its minimum.
    const result = fitLogisticRegression(table, features, 'y', { l2 });
    expect(result.gradient).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(result.objective - reference.objective)).toBeLessThan(1e-10);
    expect(result.iterations).toBeLessThan(15);
    expect(precise.iterations).toBeLessThan(20);
  });

  it('fits the closed form on one binary feature without penalty: each group at its own rate', () => {
    // x = 0: 3 of 10 positive; x = 1: 7 of 10. The maximum-likelihood model predicts exactly 0.3 and 0.7.
    const rows = [
      ...Array.from({ length: 10 }, (_, i) => [0, i < 3 ? 1 : 0]),
      ...Array.from({ length: 10 }, (_, i) => [1, i < 7 ? 1 : 0]),
    ];
    const table: NumericTable = { columns: ['x', 'y'], rows: 20, values: Float64Array.from(rows.flat()) };
    const model = trainLogisticRegression(table, ['x'], 'y', { l2: 0, tolerance: 1e-10 });
    // Within what a gradient of at most 1e-10 allows.
    expect(predictOne(model, { x: 0 })).toBeCloseTo(0.3, 7);
    expect(predictOne(model, { x: 1 })).toBeCloseTo(0.7, 7);
    // Per unit of x the log-odds differ by logit(0.7) - logit(0.3).
    expect((model.weights[0] as number) / (model.stds[0] as number)).toBeCloseTo(2 * Math.log(7 / 3), 6);
  });

  it('lands where the gradient of mean log-loss + l2/2 |w|^2 is ~0, for any small dataset and l2 > 0', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 20, max: 400 }),
        fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(1e-4, 1e-3, 0.05, 2),
        fc.boolean(),
        (seed, rows, coefficients, l2, separable) => {
          const table = synthetic(rows, coefficients, {
            seed,
            separable,
            offset: seed % 7,
            scale: 1 + (seed % 3),
          });
          const labels = labelsOf(table);
          const positives = labels.reduce((sum, v) => sum + v, 0);
          fc.pre(positives > 0 && positives < rows);
          const features = featuresOf(table);
          const model = trainLogisticRegression(table, features, 'y', { l2 });
          const x = standardised(table, features);
          const gradient = objectiveGradient(x, labels, model.weights, model.bias, l2);
          // Every partial derivative at most the default tolerance, 1e-6.
          expect(Math.max(...gradient.map(Math.abs))).toBeLessThan(1.000001e-6);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it('converges on separable data when l2 > 0: finite weights, near-perfect ranking, gradient ~0', () => {
    const table = synthetic(800, [3, -2], { seed: 17, separable: true });
    const result = fitLogisticRegression(table, featuresOf(table), 'y', { l2: 0.001 });
    expect(result.gradient).toBeLessThanOrEqual(1e-6);
    expect(result.model.weights.every((w) => Number.isFinite(w) && Math.abs(w) < 1000)).toBe(true);
    // The penalty keeps the weights finite, so a point on the boundary may rank a hair off.
    expect(rocAuc(labelsOf(table), predictTable(result.model, table))).toBeGreaterThan(0.9999);
  });

  it('says the classes may be separable when l2 = 0 and the iterations run out', () => {
    const table = synthetic(500, [3, -2], { seed: 3, separable: true });
    const error = dataError(() =>
      trainLogisticRegression(table, featuresOf(table), 'y', { l2: 0, maxIterations: 4 }),
    );
    expect(error.message).toMatch(
      /^synthetic: training did not converge \(not converged after 4 iterations; largest gradient \S+ > tolerance 1e-6\); the classes may be separable by the features: set l2 > 0$/,
    );
  });

  it('handles exactly collinear features without a penalty (singular Hessian, jittered)', () => {
    const base = synthetic(1000, [1.5, -1], { seed: 18 });
    const values = new Float64Array(base.rows * 4);
    for (let i = 0; i < base.rows; i++) {
      const [x0, x1, y] = [base.values[i * 3], base.values[i * 3 + 1], base.values[i * 3 + 2]] as number[];
      values.set([x0 as number, x1 as number, (x0 as number) * 2 + 1, y as number], i * 4);
    }
    const table: NumericTable = { columns: ['x0', 'x1', 'x0copy', 'y'], rows: base.rows, values };
    const both = trainLogisticRegression(table, ['x0', 'x1', 'x0copy'], 'y', { l2: 0 });
    const one = trainLogisticRegression(base, ['x0', 'x1'], 'y', { l2: 0 });
    const probsBoth = predictTable(both, table);
    const probsOne = predictTable(one, base);
    for (let i = 0; i < base.rows; i++) expect(probsBoth[i]).toBeCloseTo(probsOne[i] as number, 7);
  });

  it.each([0.001, 0])(
    'gives constant columns weight 0, std 1 and their exact value as mean (l2 %d)',
    (l2) => {
      const base = synthetic(1000, [2, -2], { seed: 6 });
      const values = new Float64Array(base.rows * 5);
      for (let i = 0; i < base.rows; i++) {
        const [x0, x1, y] = [base.values[i * 3], base.values[i * 3 + 1], base.values[i * 3 + 2]] as number[];
        // 0.1 summed 1000 times is not exactly 100: the column must still count as constant.
        values.set([x0 as number, 7, x1 as number, 0.1, y as number], i * 5);
      }
      const table: NumericTable = { columns: ['x0', 'const', 'x1', 'tenth', 'y'], rows: base.rows, values };
      const model = trainLogisticRegression(table, ['x0', 'const', 'x1', 'tenth'], 'y', { l2 });
      expect(model.means[1]).toBe(7);
      expect(model.means[3]).toBe(0.1);
      expect([model.stds[1], model.stds[3]]).toEqual([1, 1]);
      expect([model.weights[1], model.weights[3]]).toEqual([0, 0]);
      expect(model.weights).toEqual(
        (() => {
          const w = trainLogisticRegression(base, ['x0', 'x1'], 'y', { l2 }).weights;
          return [w[0], 0, w[1], 0];
        })(),
      );
      expect(model.weights.every(Number.isFinite)).toBe(true);
      expect(rocAuc(labelsOf(table), predictTable(model, table))).toBeGreaterThan(0.8);
    },
  );

  it('shrinks the weights as l2 grows', () => {
    const table = synthetic(2000, [2, -1, 1], { seed: 7 });
    const norms = [0, 0.01, 0.1, 1].map((l2) =>
      norm(trainLogisticRegression(table, featuresOf(table), 'y', { ...PARAMS, l2 }).weights),
    );
    for (let k = 1; k < norms.length; k++) expect(norms[k]).toBeLessThan(norms[k - 1] as number);
    expect(norms[3]).toBeLessThan((norms[0] as number) / 2);
  });

  it('is deterministic: the same input gives an identical model', () => {
    const table = synthetic(3000, [1, -1, 0.5], { seed: 8 });
    const first = trainLogisticRegression(table, featuresOf(table), 'y', PARAMS);
    const second = trainLogisticRegression(table, featuresOf(table), 'y', PARAMS);
    expect(second).toStrictEqual(first);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it.each([
    ['a label of 2', 'x,y\n1,0\n2,1\n3,2\n', 'data.csv:4: label "y" is 2, expected 0 or 1'],
    [
      'a label of -1 after blank lines',
      'x,y\n1,0\n\n2,1\n\n3,-1\n',
      'data.csv:6: label "y" is -1, expected 0 or 1',
    ],
    ['a fractional label', 'x,y\n1,0.5\n2,1\n3,0\n', 'data.csv:2: label "y" is 0.5, expected 0 or 1'],
    [
      'only class 0',
      'x,y\n1,0\n2,0\n',
      'data.csv: label "y" is 0 on all 2 rows; training needs both 0 and 1',
    ],
    ['only class 1', 'x,y\n1,1\n', 'data.csv: label "y" is 1 on all 1 rows; training needs both 0 and 1'],
  ])('rejects %s with a DataError naming the line', async (_, csv, message) => {
    const table = await parseNumericTable(csv, ['x', 'y'], { source: 'data.csv' });
    expect(dataError(() => trainLogisticRegression(table, ['x'], 'y', PARAMS)).message).toBe(message);
  });

  it('lists every bad label line (up to 10) in one error', async () => {
    const table = await parseNumericTable('x,y\n1,2\n2,1\n3,3\n4,0\n', ['x', 'y'], { source: 'd.csv' });
    const error = dataError(() => trainLogisticRegression(table, ['x'], 'y', PARAMS));
    expect(error.problems).toEqual([
      'd.csv:2: label "y" is 2, expected 0 or 1',
      'd.csv:4: label "y" is 3, expected 0 or 1',
    ]);
  });

  it('uses row index + 2 as the line for tables without a line map', () => {
    const table: NumericTable = { columns: ['x', 'y'], rows: 3, values: Float64Array.of(1, 0, 2, 1, 3, 7) };
    expect(dataError(() => trainLogisticRegression(table, ['x'], 'y', PARAMS)).message).toBe(
      'table:4: label "y" is 7, expected 0 or 1',
    );
  });

  it.each([
    ['a missing feature', ['x', 'z'], 'y', 'd.csv: missing feature "z" (columns: x, w, y)'],
    ['missing features', ['q', 'x', 'z'], 'y', 'd.csv: missing features "q", "z" (columns: x, w, y)'],
    ['a missing label column', ['x'], 'label', 'd.csv: missing label column "label" (columns: x, w, y)'],
    ['the label as a feature', ['x', 'y'], 'y', 'd.csv: label "y" is also a feature'],
    ['no features', [], 'y', 'd.csv: no features to train on'],
  ])('rejects %s with a DataError', async (_, features, label, message) => {
    const table = await parseNumericTable('x,w,y\n1,2,0\n2,1,1\n', ['x', 'w', 'y'], { source: 'd.csv' });
    expect(dataError(() => trainLogisticRegression(table, features, label, PARAMS)).message).toBe(message);
  });

  it.each<[string, Partial<TrainingParams>, RegExp]>([
    ['negative l2', { l2: -1 }, /l2 must be a non-negative number, got -1/],
    ['NaN l2', { l2: Number.NaN }, /l2 must be a non-negative number/],
    ['maxIterations 0', { maxIterations: 0 }, /maxIterations must be a positive integer, got 0/],
    ['fractional maxIterations', { maxIterations: 2.5 }, /maxIterations must be a positive integer/],
    ['tolerance 0', { tolerance: 0 }, /tolerance must be a positive number, got 0/],
    ['infinite tolerance', { tolerance: Number.POSITIVE_INFINITY }, /tolerance must be a positive number/],
  ])('rejects %s with a RangeError', (_, params, message) => {
    const table = synthetic(200, [1, -1], { seed: 9 });
    const call = () => trainLogisticRegression(table, featuresOf(table), 'y', { ...PARAMS, ...params });
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });

  it('accepts and ignores the gradient-descent parameters of older policies', () => {
    const table = synthetic(500, [1, -1], { seed: 19 });
    const plain = trainLogisticRegression(table, featuresOf(table), 'y', { l2: 0.001 });
    const old = trainLogisticRegression(table, featuresOf(table), 'y', {
      learningRate: 0.5,
      epochs: 300,
      l2: 0.001,
    });
    expect(old).toStrictEqual(plain);
  });

  it('fails as not converged when maxIterations is too low, naming the gradient', () => {
    const table = synthetic(500, [2, -1], { seed: 20 });
    const error = dataError(() =>
      trainLogisticRegression(table, featuresOf(table), 'y', { l2: 0.01, maxIterations: 1 }),
    );
    expect(error.message).toMatch(
      /^synthetic: training did not converge \(not converged after 1 iteration; largest gradient \d\.\d\de-\d+ > tolerance 1e-6\); raise l2 or maxIterations$/,
    );
    // A looser tolerance is met sooner.
    const loose = fitLogisticRegression(table, featuresOf(table), 'y', { l2: 0.01, tolerance: 1e-3 });
    expect(loose.gradient).toBeLessThanOrEqual(1e-3);
    expect(loose.iterations).toBeLessThan(
      fitLogisticRegression(table, featuresOf(table), 'y', { l2: 0.01 }).iterations,
    );
  });
});

describe('predictTable and predictOne', () => {
  const train = synthetic(1000, [1.5, -2, 0.5], { seed: 10, offset: 3 });
  const model = trainLogisticRegression(train, featuresOf(train), 'y', PARAMS);

  it('predictOne applies standardisation, weights and bias like the model says', () => {
    const record = { x0: 3.5, x1: 2, x2: 4 };
    const z =
      model.bias +
      model.features.reduce(
        (sum, f, j) =>
          sum +
          ((model.weights[j] as number) * (record[f as keyof typeof record] - (model.means[j] as number))) /
            (model.stds[j] as number),
        0,
      );
    expect(predictOne(model, record)).toBeCloseTo(1 / (1 + Math.exp(-z)), 14);
  });

  it('predictTable agrees with predictOne on every row, whatever the column order and extra columns', async () => {
    const csv = [
      'extra,x2,y,x1,x0',
      ...Array.from({ length: 50 }, (_, i) => `${i},${(i % 7) - 3},0,${i / 10},${3 - i / 20}`),
    ].join('\n');
    const table = await parseNumericTable(csv, ['extra', 'x2', 'y', 'x1', 'x0']);
    const probs = predictTable(model, table);
    expect(probs).toHaveLength(50);
    for (let i = 0; i < 50; i++) {
      const row = { x0: 3 - i / 20, x1: i / 10, x2: (i % 7) - 3 };
      expect(probs[i]).toBe(predictOne(model, row));
    }
  });

  it('throws a DataError when the table lacks a model feature', async () => {
    const table = await parseNumericTable('x0,x2\n1,2\n', ['x0', 'x2'], { source: 'holdout.csv' });
    expect(dataError(() => predictTable(model, table)).message).toBe(
      'holdout.csv: missing feature "x1" (columns: x0, x2)',
    );
  });

  it.each([
    ['a missing feature', { x0: 1, x2: 1 }, 'record: feature "x1" is missing'],
    ['a NaN feature', { x0: 1, x1: Number.NaN, x2: 1 }, 'record: feature "x1" is NaN, not a finite number'],
    [
      'an infinite feature',
      { x0: Number.POSITIVE_INFINITY, x1: 0, x2: 1 },
      'record: feature "x0" is Infinity, not a finite number',
    ],
  ])('predictOne rejects %s with a DataError', (_, record, message) => {
    expect(dataError(() => predictOne(model, record)).message).toBe(message);
  });

  it.each([
    [-1000, 0],
    [-40, sigmoid(-40)],
    [0, 0.5],
    [1000, 1],
  ])('sigmoid(%d) is finite and in [0, 1]', (z, expected) => {
    expect(sigmoid(z)).toBe(expected);
    expect(sigmoid(z)).toBeGreaterThanOrEqual(0);
    expect(sigmoid(z)).toBeLessThanOrEqual(1);
  });
});

describe('parseModel', () => {
  const valid: LogisticModel = {
    kind: 'logistic-regression',
    features: ['a', 'b'],
    means: [1, 2],
    stds: [1, 0.5],
    weights: [0.3, -0.2],
    bias: 0.1,
  };

  it('accepts a model that went through JSON and predicts the same', () => {
    const train = synthetic(300, [1, -1], { seed: 11 });
    const model = trainLogisticRegression(train, featuresOf(train), 'y', PARAMS);
    const restored = parseModel(JSON.parse(JSON.stringify(model)));
    expect(restored).toStrictEqual(model);
    expect(predictTable(restored, train)).toEqual(predictTable(model, train));
  });

  it.each<[string, unknown, string]>([
    ['not an object', 'model', '(root): Invalid input: expected object, received string'],
    ['another kind', { ...valid, kind: 'tree' }, 'kind: Invalid input: expected "logistic-regression"'],
    ['too few weights', { ...valid, weights: [0.3] }, 'weights: expected 2 numbers (one per feature), got 1'],
    ['a zero std', { ...valid, stds: [1, 0] }, 'stds[1]: Too small: expected number to be >0'],
    ['NaN written as null', { ...valid, bias: null }, 'bias: Invalid input: expected number, received null'],
    [
      'no features',
      { ...valid, features: [], means: [], stds: [], weights: [] },
      'features: Too small: expected array to have >=1 items',
    ],
    ['a repeated feature', { ...valid, features: ['a', 'a'] }, 'features: features must be distinct'],
    ['an unknown field', { ...valid, extra: 1 }, '(root): Unrecognized key: "extra"'],
  ])('rejects %s with a DataError naming the field', (_, json, issue) => {
    const error = dataError(() => parseModel(json, 's3://bucket/models/m/3.json'));
    expect(error.message).toMatch(
      /^s3:\/\/bucket\/models\/m\/3\.json is not a valid logistic-regression model:\n {2}/,
    );
    expect(error.problems).toContain(issue);
  });
});
