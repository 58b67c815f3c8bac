import { describe, expect, it } from 'vitest';
import { DataError } from '#contracts/errors.ts';

import { parseNumericTable } from '#datasets/index.ts';

import { rocAuc } from '#domain/metrics.ts';

import { mulberry32 as prng } from '#domain/random.ts';

import type { NumericTable } from '#domain/table.ts';
import {
  type LogisticModel,
  parseModel,
  predictOne,
  predictTable,
  sigmoid,
  type TrainingParams,
  trainLogisticRegression,
} from '#domain/trainer.ts';

import { thrownBy } from '../../support/errors.ts';

const PARAMS: TrainingParams = { learningRate: 0.5, epochs: 300, l2: 0.001 };

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

  it('converges to the minimum of mean log loss + l2/2 |w|^2 (gradient ~ 0)', () => {
    const table = synthetic(2000, [1.5, -0.5, 0.7], { seed: 5, intercept: 0.4 });
    const l2 = 0.01;
    const model = trainLogisticRegression(table, featuresOf(table), 'y', {
      learningRate: 1,
      epochs: 3000,
      l2,
    });
    // Gradient of the objective, computed here independently on standardised features.
    const y = labelsOf(table);
    const d = model.features.length;
    const width = table.columns.length;
    const gradient = new Array<number>(d + 1).fill(0);
    for (let i = 0; i < table.rows; i++) {
      const x = model.features.map(
        (_, j) =>
          ((table.values[i * width + j] as number) - (model.means[j] as number)) / (model.stds[j] as number),
      );
      const p = sigmoid(model.bias + x.reduce((z, v, j) => z + v * (model.weights[j] as number), 0));
      const r = p - (y[i] as number);
      x.forEach((v, j) => {
        gradient[j] = (gradient[j] as number) + (r * v) / table.rows;
      });
      gradient[d] = (gradient[d] as number) + r / table.rows;
    }
    model.weights.forEach((w, j) => {
      gradient[j] = (gradient[j] as number) + l2 * w;
    });
    expect(norm(gradient)).toBeLessThan(1e-8);
  });

  it('gives a constant column weight 0 and std 1, and still learns from the others', () => {
    const base = synthetic(1000, [2, -2], { seed: 6 });
    const values = new Float64Array(base.rows * 4);
    for (let i = 0; i < base.rows; i++) {
      values.set(
        [base.values[i * 3] as number, 7, base.values[i * 3 + 1] as number, base.values[i * 3 + 2] as number],
        i * 4,
      );
    }
    const table: NumericTable = { columns: ['x0', 'const', 'x1', 'y'], rows: base.rows, values };
    const model = trainLogisticRegression(table, ['x0', 'const', 'x1'], 'y', PARAMS);
    expect(model.means[1]).toBe(7);
    expect(model.stds[1]).toBe(1);
    expect(model.weights[1]).toBe(0);
    expect(model.weights.every(Number.isFinite)).toBe(true);
    expect(rocAuc(labelsOf(table), predictTable(model, table))).toBeGreaterThan(0.8);
  });

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
    ['learningRate 0', { learningRate: 0 }, /learningRate must be a positive number, got 0/],
    ['learningRate NaN', { learningRate: Number.NaN }, /learningRate/],
    ['epochs 0', { epochs: 0 }, /epochs must be a positive integer, got 0/],
    ['fractional epochs', { epochs: 2.5 }, /epochs must be a positive integer/],
    ['negative l2', { l2: -1 }, /l2 must be a non-negative number, got -1/],
    [
      'a diverging step (learningRate * l2 > 2)',
      { learningRate: 10, l2: 1, epochs: 1000 },
      /training diverged/,
    ],
  ])('rejects %s with a RangeError', (_, params, message) => {
    const table = synthetic(200, [1, -1], { seed: 9 });
    const call = () => trainLogisticRegression(table, featuresOf(table), 'y', { ...PARAMS, ...params });
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
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
