import { z } from 'zod';
import { DataError } from '#contracts/errors.ts';

import { formatIssues } from './policy.ts';

import { columnIndexes, type NumericTable, ProblemList, rowLine } from './table.ts';

/** Hyper-parameters of the built-in trainer (the policy's `training.params`). */
export interface TrainingParams {
  /** Gradient-descent step size on standardised features. */
  learningRate: number;
  /** Full passes over the training data. */
  epochs: number;
  /** L2 penalty on the weights (not the bias), as in `loss + l2/2 * |w|^2`. */
  l2: number;
}

const FiniteNumbers = z.array(z.number().finite());

/** The model artifact: plain JSON, written to S3 and read back by the evaluator and the serving side. */
export const LogisticModelSchema = z
  .object({
    kind: z.literal('logistic-regression'),
    /** Feature columns, in weight order. */
    features: z.array(z.string().min(1)).min(1),
    /** Training-data mean of each feature. */
    means: FiniteNumbers,
    /** Training-data standard deviation of each feature (1 for constant features). */
    stds: z.array(z.number().finite().positive()),
    /** Weights on standardised features. */
    weights: FiniteNumbers,
    bias: z.number().finite(),
  })
  .strict()
  .superRefine((model, ctx) => {
    for (const key of ['means', 'stds', 'weights'] as const) {
      if (model[key].length !== model.features.length) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `expected ${model.features.length} numbers (one per feature), got ${model[key].length}`,
        });
      }
    }
    if (new Set(model.features).size !== model.features.length) {
      ctx.addIssue({ code: 'custom', path: ['features'], message: 'features must be distinct' });
    }
  });

/** A trained logistic-regression model; JSON-serialisable. */
export type LogisticModel = z.infer<typeof LogisticModelSchema>;

/** Logistic function; for z < -709 `exp` overflows to Infinity and the result is exactly 0, never NaN. */
export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function checkParams(params: TrainingParams): void {
  const { learningRate, epochs, l2 } = params;
  if (!(Number.isFinite(learningRate) && learningRate > 0)) {
    throw new RangeError(`learningRate must be a positive number, got ${learningRate}`);
  }
  if (!(Number.isInteger(epochs) && epochs >= 1)) {
    throw new RangeError(`epochs must be a positive integer, got ${epochs}`);
  }
  if (!(Number.isFinite(l2) && l2 >= 0)) throw new RangeError(`l2 must be a non-negative number, got ${l2}`);
}

/**
 * Trains an L2-regularised logistic regression by full-batch gradient descent on features standardised
 * with the training data's mean and (population) standard deviation. Deterministic: weights start at 0.
 * Throws {@link DataError} for missing columns, labels other than 0/1 (naming the line) or a single class,
 * and RangeError for bad parameters or a run that diverged.
 */
export function trainLogisticRegression(
  table: NumericTable,
  features: string[],
  label: string,
  params: TrainingParams,
): LogisticModel {
  checkParams(params);
  const source = table.source ?? 'table';
  if (features.length === 0) throw new DataError(`${source}: no features to train on`, ['no features']);
  if (features.includes(label)) {
    throw new DataError(`${source}: label "${label}" is also a feature`, [
      `label "${label}" is also a feature`,
    ]);
  }
  const featureIndexes = columnIndexes(table, features, 'feature');
  const [labelIndex] = columnIndexes(table, [label], 'label column') as [number];

  const n = table.rows;
  const d = features.length;
  const width = table.columns.length;
  const src = table.values;

  const y = new Float64Array(n);
  const problems = new ProblemList();
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const value = src[i * width + labelIndex] as number;
    if (value !== 0 && value !== 1) {
      problems.add(`${source}:${rowLine(table, i)}: label "${label}" is ${value}, expected 0 or 1`);
    }
    y[i] = value;
    positives += value;
  }
  problems.throwIfAny(source);
  if (positives === 0 || positives === n) {
    const only = positives === 0 ? 0 : 1;
    const problem = `${source}: label "${label}" is ${only} on all ${n} rows; training needs both 0 and 1`;
    throw new DataError(problem, [problem]);
  }

  // Standardise into a column-major d x n matrix: each pass below is a tight loop over contiguous memory.
  const means = new Float64Array(d);
  const stds = new Float64Array(d);
  const x = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    const index = featureIndexes[j] as number;
    const offset = j * n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += src[i * width + index] as number;
    const mean = sum / n;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const delta = (src[i * width + index] as number) - mean;
      squares += delta * delta;
    }
    const std = Math.sqrt(squares / n);
    // A constant column carries no signal; std 1 keeps it at 0 instead of dividing by zero.
    const scale = std > 0 ? std : 1;
    means[j] = mean;
    stds[j] = scale;
    for (let i = 0; i < n; i++) x[offset + i] = ((src[i * width + index] as number) - mean) / scale;
  }

  const { learningRate, epochs, l2 } = params;
  const weights = new Float64Array(d);
  // Holds the linear scores, then (in place) the residuals p - y of the current epoch.
  const work = new Float64Array(n);
  let bias = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    work.fill(bias);
    for (let j = 0; j < d; j++) {
      const w = weights[j] as number;
      const offset = j * n;
      for (let i = 0; i < n; i++) work[i] = (work[i] as number) + w * (x[offset + i] as number);
    }
    let biasGradient = 0;
    for (let i = 0; i < n; i++) {
      const residual = sigmoid(work[i] as number) - (y[i] as number);
      work[i] = residual;
      biasGradient += residual;
    }
    for (let j = 0; j < d; j++) {
      const offset = j * n;
      let gradient = 0;
      for (let i = 0; i < n; i++) gradient += (work[i] as number) * (x[offset + i] as number);
      const w = weights[j] as number;
      weights[j] = w - learningRate * (gradient / n + l2 * w);
    }
    bias -= (learningRate * biasGradient) / n;
  }

  const model: LogisticModel = {
    kind: 'logistic-regression',
    features: [...features],
    means: Array.from(means),
    stds: Array.from(stds),
    weights: Array.from(weights),
    bias,
  };
  if (!Number.isFinite(bias) || !model.weights.every(Number.isFinite)) {
    throw new RangeError(
      `training diverged (weights are not finite) with learningRate ${learningRate} and l2 ${l2}; lower them`,
    );
  }
  return model;
}

/** Folds standardisation into raw-feature coefficients: `z = intercept + sum(coef[j] * x[j])`. */
function rawCoefficients(model: LogisticModel): { coef: Float64Array; intercept: number } {
  const coef = new Float64Array(model.features.length);
  let intercept = model.bias;
  for (let j = 0; j < coef.length; j++) {
    const c = (model.weights[j] as number) / (model.stds[j] as number);
    coef[j] = c;
    intercept -= c * (model.means[j] as number);
  }
  return { coef, intercept };
}

/** Probability of class 1 for every row of the table; throws {@link DataError} if a model feature is missing. */
export function predictTable(model: LogisticModel, table: NumericTable): Float64Array {
  const indexes = columnIndexes(table, model.features, 'feature');
  const { coef, intercept } = rawCoefficients(model);
  const d = coef.length;
  const width = table.columns.length;
  const values = table.values;
  const out = new Float64Array(table.rows);
  for (let i = 0, row = 0; i < table.rows; i++, row += width) {
    let z = intercept;
    for (let j = 0; j < d; j++) z += (coef[j] as number) * (values[row + (indexes[j] as number)] as number);
    out[i] = sigmoid(z);
  }
  return out;
}

/** Probability of class 1 for one record; throws {@link DataError} if a feature is missing or not finite. */
export function predictOne(model: LogisticModel, values: Record<string, number>): number {
  const { coef, intercept } = rawCoefficients(model);
  const problems = new ProblemList();
  let z = intercept;
  model.features.forEach((feature, j) => {
    const value = values[feature];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const why = value === undefined ? 'is missing' : `is ${String(value)}, not a finite number`;
      problems.add(`record: feature "${feature}" ${why}`);
    } else {
      z += (coef[j] as number) * value;
    }
  });
  problems.throwIfAny('record');
  return sigmoid(z);
}

/** Validates a model artifact read from storage; throws {@link DataError} naming each bad field. */
export function parseModel(json: unknown, source = 'model'): LogisticModel {
  const result = LogisticModelSchema.safeParse(json);
  if (!result.success) {
    const issues = formatIssues(result.error);
    throw new DataError(
      `${source} is not a valid logistic-regression model:\n  ${issues.join('\n  ')}`,
      issues,
    );
  }
  return result.data;
}
