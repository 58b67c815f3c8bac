import { DataError } from '#contracts/errors.ts';
import { formatIssues } from './policy.ts';
import { columnIndexes, type NumericTable, ProblemList, rowLine } from './table.ts';
import * as z from './zod.ts';

/** Hyper-parameters of the built-in trainer (the policy's `training.params`). */
export interface TrainingParams {
  /** L2 penalty on the weights (not the bias), as in `mean log-loss + l2/2 * |w|^2`. */
  l2: number;
  /** Most iterations before training fails as not converged; default {@link DEFAULT_MAX_ITERATIONS}. */
  maxIterations?: number | undefined;
  /**
   * Converged when every partial derivative of the objective (on standardised features) is at most this;
   * default {@link DEFAULT_TOLERANCE}, a hundredth of scikit-learn's lbfgs default (1e-4, same units).
   */
  tolerance?: number | undefined;
  /** Ignored: the step size of the former gradient-descent trainer, still accepted in policies. */
  learningRate?: number | undefined;
  /** Ignored: the pass count of the former gradient-descent trainer, still accepted in policies. */
  epochs?: number | undefined;
}

export const DEFAULT_MAX_ITERATIONS = 100;
export const DEFAULT_TOLERANCE = 1e-6;

const FiniteNumbers = z.array(z.number());

/** The model artifact: plain JSON, written to S3 and read back by the evaluator and the serving side. */
export const LogisticModelSchema = z
  .strictObject({
    kind: z.literal('logistic-regression'),
    /** Feature columns, in weight order. */
    features: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    /** Training-data mean of each feature. */
    means: FiniteNumbers,
    /** Training-data standard deviation of each feature (1 for constant features). */
    stds: z.array(z.number().check(z.positive())),
    /** Weights on standardised features. */
    weights: FiniteNumbers,
    bias: z.number(),
  })
  .check(
    z.superRefine((model, ctx) => {
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
    }),
  );

/** A trained logistic-regression model; JSON-serialisable. */
export type LogisticModel = z.infer<typeof LogisticModelSchema>;

/** Logistic function; for z < -709 `exp` overflows to Infinity and the result is exactly 0, never NaN. */
export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function checkParams(params: TrainingParams): { l2: number; maxIterations: number; tolerance: number } {
  const { l2, maxIterations = DEFAULT_MAX_ITERATIONS, tolerance = DEFAULT_TOLERANCE } = params;
  if (!(Number.isFinite(l2) && l2 >= 0)) throw new RangeError(`l2 must be a non-negative number, got ${l2}`);
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1)) {
    throw new RangeError(`maxIterations must be a positive integer, got ${maxIterations}`);
  }
  if (!(Number.isFinite(tolerance) && tolerance > 0)) {
    throw new RangeError(`tolerance must be a positive number, got ${tolerance}`);
  }
  return { l2, maxIterations, tolerance };
}

/** A trained model and how the solver got there. */
export interface TrainingResult {
  model: LogisticModel;
  /** Steps taken (0 when the starting point already met the tolerance). */
  iterations: number;
  /** Largest absolute partial derivative of the objective at the result. */
  gradient: number;
  /** The objective at the result: mean log-loss + l2/2 |w|^2. */
  objective: number;
}

/** Rows per block of the Hessian's accumulation: a block of every column stays in the L2 cache. */
const BLOCK_ROWS = 512;
/**
 * Rows of the sample whose Hessian steers the first iterations: every k-th row, at least this many and this
 * many per unknown (all rows of smaller tables).
 */
const SAMPLE_ROWS = 4096;
const SAMPLE_ROWS_PER_COLUMN = 64;
/** Sampled Hessians until the largest partial derivative is below this, then BFGS from a larger sample's. */
const SAMPLE_UNTIL = 1e-3;
/** A full Hessian's factor is reused while each step shrinks the gradient at least this much. */
const REUSE_WHILE = 0.1;
/** Armijo's sufficient-decrease constant and the most step halvings of one line search. */
const ARMIJO = 1e-4;
const MAX_HALVINGS = 50;
/**
 * Below this predicted decrease (g'H⁻¹g) the mean log-loss cannot resolve a line search (its rounding is
 * ~1e-14): the step is then taken whole unless the objective visibly rises.
 */
const TINY_DECREASE = 1e-12;

/** log(1 + e^z) - y z, stable for any z. */
function rowLoss(z: number, y: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y * z;
}

/**
 * The training rows as the solver reads them: the standardised active (non-constant) features, read from the
 * row-major table on the fly, so no copy of the data is made.
 */
interface Design {
  n: number;
  /** Active features. */
  a: number;
  width: number;
  values: Float64Array;
  /** Table column of each active feature, its mean and 1/std. */
  index: Int32Array;
  mean: Float64Array;
  inverse: Float64Array;
  y: Uint8Array;
}

/** Rows per block of the row-major passes: a block of the table stays in cache while each feature is read. */
const PASS_ROWS = 64;

/**
 * Mean log-loss (without the penalty) and its gradient into `g` (X'(p - y)/n, then the bias's) at the scores
 * z + u, where u = X step_w + step_bias is computed in the same pass and kept in `u` (with no step: at z).
 * Per block of rows: u, the residuals, then strided passes over the cached block, four features at a time.
 */
function lossGradient(
  design: Design,
  z: Float64Array,
  step: Float64Array | undefined,
  u: Float64Array,
  g: Float64Array,
  r: Float64Array,
): number {
  const { n, a, width, values, index, mean, inverse, y } = design;
  g.fill(0);
  let bias = 0;
  let loss = 0;
  for (let first = 0; first < n; first += PASS_ROWS) {
    const end = Math.min(n, first + PASS_ROWS);
    const len = end - first;
    const base = first * width;
    if (step) {
      u.fill(step[a] as number, first, end);
      let c = 0;
      for (; c + 3 < a; c += 4) {
        const i0 = index[c] as number;
        const i1 = index[c + 1] as number;
        const i2 = index[c + 2] as number;
        const i3 = index[c + 3] as number;
        const m0 = mean[c] as number;
        const m1 = mean[c + 1] as number;
        const m2 = mean[c + 2] as number;
        const m3 = mean[c + 3] as number;
        const k0 = (step[c] as number) * (inverse[c] as number);
        const k1 = (step[c + 1] as number) * (inverse[c + 1] as number);
        const k2 = (step[c + 2] as number) * (inverse[c + 2] as number);
        const k3 = (step[c + 3] as number) * (inverse[c + 3] as number);
        for (let i = first, at = base; i < end; i++, at += width) {
          u[i] =
            (u[i] as number) +
            k0 * ((values[at + i0] as number) - m0) +
            k1 * ((values[at + i1] as number) - m1) +
            k2 * ((values[at + i2] as number) - m2) +
            k3 * ((values[at + i3] as number) - m3);
        }
      }
      for (; c < a; c++) {
        const mu = mean[c] as number;
        const coefficient = (step[c] as number) * (inverse[c] as number);
        for (let i = first, at = base + (index[c] as number); i < end; i++, at += width) {
          u[i] = (u[i] as number) + coefficient * ((values[at] as number) - mu);
        }
      }
    }
    for (let k = 0; k < len; k++) {
      const zi = step ? (z[first + k] as number) + (u[first + k] as number) : (z[first + k] as number);
      const yi = y[first + k] as number;
      const e = Math.exp(-Math.abs(zi));
      loss += Math.max(zi, 0) + Math.log1p(e) - yi * zi;
      const residual = (zi >= 0 ? 1 / (1 + e) : e / (1 + e)) - yi;
      r[k] = residual;
      bias += residual;
    }
    let c = 0;
    for (; c + 3 < a; c += 4) {
      const i0 = index[c] as number;
      const i1 = index[c + 1] as number;
      const i2 = index[c + 2] as number;
      const i3 = index[c + 3] as number;
      const m0 = mean[c] as number;
      const m1 = mean[c + 1] as number;
      const m2 = mean[c + 2] as number;
      const m3 = mean[c + 3] as number;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0, at = base; k < len; k++, at += width) {
        const rk = r[k] as number;
        s0 += rk * ((values[at + i0] as number) - m0);
        s1 += rk * ((values[at + i1] as number) - m1);
        s2 += rk * ((values[at + i2] as number) - m2);
        s3 += rk * ((values[at + i3] as number) - m3);
      }
      g[c] = (g[c] as number) + s0;
      g[c + 1] = (g[c + 1] as number) + s1;
      g[c + 2] = (g[c + 2] as number) + s2;
      g[c + 3] = (g[c + 3] as number) + s3;
    }
    for (; c < a; c++) {
      const mu = mean[c] as number;
      let sum = 0;
      for (let k = 0, at = base + (index[c] as number); k < len; k++, at += width) {
        sum += (r[k] as number) * ((values[at] as number) - mu);
      }
      g[c] = (g[c] as number) + sum;
    }
  }
  for (let c = 0; c < a; c++) g[c] = ((g[c] as number) * (inverse[c] as number)) / n;
  g[a] = bias / n;
  return loss / n;
}

/** Scratch of {@link weightedGram}: one block, column-major. */
interface GramScratch {
  x: Float64Array;
  sx: Float64Array;
  s: Float64Array;
}

/**
 * The lower triangle of the (a+1)² matrix X̃'SX̃ / rows (X̃ = [X, 1], S = diag(p(1 - p)) at scores `z`) into `h`
 * (row-major), over every `stride`-th row. Each block of rows is standardised into a small column-major matrix,
 * then every entry is a tight dot product over the block, four columns at a time.
 */
function weightedGram(
  design: Design,
  z: Float64Array,
  stride: number,
  h: Float64Array,
  scratch: GramScratch,
): void {
  const { n, a, width, values, index, mean, inverse } = design;
  const m = a + 1;
  const { x, sx, s } = scratch;
  h.fill(0);
  let used = 0;
  for (let first = 0; first < n; first += BLOCK_ROWS * stride) {
    // Gather the block: its rows' weights and standardised features, column-major (x[c * BLOCK_ROWS + k]).
    let len = 0;
    for (let i = first; i < n && len < BLOCK_ROWS; i += stride, len++) {
      const zi = z[i] as number;
      const e = Math.exp(-Math.abs(zi));
      const p = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
      s[len] = p * (1 - p);
      const row = i * width;
      for (let c = 0; c < a; c++) {
        x[c * BLOCK_ROWS + len] =
          ((values[row + (index[c] as number)] as number) - (mean[c] as number)) * (inverse[c] as number);
      }
    }
    used += len;
    let total = 0;
    for (let k = 0; k < len; k++) total += s[k] as number;
    h[a * m + a] = (h[a * m + a] as number) + total;
    for (let j = 0; j < a; j++) {
      const oj = j * BLOCK_ROWS;
      let bias = 0;
      for (let k = 0; k < len; k++) {
        const v = (s[k] as number) * (x[oj + k] as number);
        sx[k] = v;
        bias += v;
      }
      h[a * m + j] = (h[a * m + j] as number) + bias;
      // Row j of the lower triangle: columns 0..j, four at a time.
      const row = j * m;
      let c = 0;
      for (; c + 3 <= j; c += 4) {
        const o0 = c * BLOCK_ROWS;
        const o1 = o0 + BLOCK_ROWS;
        const o2 = o1 + BLOCK_ROWS;
        const o3 = o2 + BLOCK_ROWS;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        for (let k = 0; k < len; k++) {
          const v = sx[k] as number;
          a0 += v * (x[o0 + k] as number);
          a1 += v * (x[o1 + k] as number);
          a2 += v * (x[o2 + k] as number);
          a3 += v * (x[o3 + k] as number);
        }
        h[row + c] = (h[row + c] as number) + a0;
        h[row + c + 1] = (h[row + c + 1] as number) + a1;
        h[row + c + 2] = (h[row + c + 2] as number) + a2;
        h[row + c + 3] = (h[row + c + 3] as number) + a3;
      }
      for (; c <= j; c++) {
        const oc = c * BLOCK_ROWS;
        let sum = 0;
        for (let k = 0; k < len; k++) sum += (sx[k] as number) * (x[oc + k] as number);
        h[row + c] = (h[row + c] as number) + sum;
      }
    }
  }
  for (let j = 0; j < m; j++) for (let c = 0; c <= j; c++) h[j * m + c] = (h[j * m + c] as number) / used;
}

/**
 * Cholesky factor L (lower, row-major m x m, into `l`) of the symmetric matrix whose lower triangle `h` holds,
 * plus `jitter` on the diagonal; false when it is not numerically positive definite.
 */
function cholesky(h: Float64Array, m: number, jitter: number, l: Float64Array): boolean {
  let largest = 0;
  for (let j = 0; j < m; j++) largest = Math.max(largest, h[j * m + j] as number);
  const floor = Math.max(largest, 1) * 1e-13;
  for (let j = 0; j < m; j++) {
    for (let k = 0; k <= j; k++) {
      let sum = (h[j * m + k] as number) + (j === k ? jitter : 0);
      for (let q = 0; q < k; q++) sum -= (l[j * m + q] as number) * (l[k * m + q] as number);
      if (j === k) {
        if (!(sum > floor)) return false;
        l[j * m + j] = Math.sqrt(sum);
      } else {
        l[j * m + k] = sum / (l[k * m + k] as number);
      }
    }
  }
  return true;
}

/** Solves L L' out = -b with the factor of {@link cholesky}. */
function solveNegative(l: Float64Array, m: number, b: Float64Array, out: Float64Array): void {
  for (let j = 0; j < m; j++) {
    let sum = -(b[j] as number);
    for (let q = 0; q < j; q++) sum -= (l[j * m + q] as number) * (out[q] as number);
    out[j] = sum / (l[j * m + j] as number);
  }
  for (let j = m - 1; j >= 0; j--) {
    let sum = out[j] as number;
    for (let q = j + 1; q < m; q++) sum -= (l[q * m + j] as number) * (out[q] as number);
    out[j] = sum / (l[j * m + j] as number);
  }
}

/**
 * Trains an L2-regularised logistic regression, minimising mean log-loss + l2/2 |w|^2 (bias unpenalised) on
 * features standardised with the training data's mean and (population) standard deviation, by Newton's method
 * (IRLS) with a backtracking (Armijo) line search. The (d+1)² Hessian X'SX/n + l2 I is factored by Cholesky,
 * with a small diagonal jitter when it is singular (l2 = 0 with collinear features or separable classes).
 * Tables of up to 2 x max(4,096, 64 (d+1)) rows use the Hessian of every row, its factor reused while it still
 * shrinks the gradient tenfold per step. Larger ones never build it: the iterations far from the optimum (a
 * partial derivative above 1e-3) use the Hessian of a systematic row sample (every k-th row, that many rows),
 * the rest start from a four times larger sample's and update it from the exact gradients (BFGS). The gradient
 * is always exact, so every path ends at the objective's minimum: training stops when every partial derivative
 * is at most `tolerance`. Each iteration reads the table once, in place (no copy of the data: memory is O(n)
 * besides the table). Deterministic: weights start at 0, the bias at the label's log-odds. A constant feature
 * gets std 1 and weight 0.
 * Throws {@link DataError} for missing columns, labels other than 0/1 (naming the line), a single class, and
 * when it does not converge within `maxIterations` (e.g. separable classes with l2 = 0); RangeError for bad
 * parameters.
 */
export function fitLogisticRegression(
  table: NumericTable,
  features: string[],
  label: string,
  params: TrainingParams,
): TrainingResult {
  const { l2, maxIterations, tolerance } = checkParams(params);
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
  const values = table.values;

  // One pass over the rows, a block at a time (its values are then read from cache): the labels, and per
  // feature the mean and the sum of squared deviations (merged block by block as Chan et al. do, which is as
  // exact as two passes), and the sum of y (x - mean) that makes the first gradient. A constant column
  // carries no signal: mean = its value exactly, std 1, weight 0, and it is left out of the solve.
  const y = new Uint8Array(n);
  const problems = new ProblemList();
  const columns = Int32Array.from(featureIndexes);
  const firsts = Float64Array.from(columns, (index) => values[index] as number);
  const means = new Float64Array(d);
  const squares = new Float64Array(d);
  const labelled = new Float64Array(d);
  const varying = new Uint8Array(d);
  let positives = 0;
  for (let first = 0; first < n; first += PASS_ROWS) {
    const end = Math.min(n, first + PASS_ROWS);
    const count = end - first;
    let blockPositives = 0;
    for (let i = first; i < end; i++) {
      const value = values[i * width + labelIndex] as number;
      if (value !== 0 && value !== 1) {
        problems.add(`${source}:${rowLine(table, i)}: label "${label}" is ${value}, expected 0 or 1`);
      }
      y[i] = value;
      blockPositives += value;
    }
    const before = first;
    const after = end;
    for (let j = 0; j < d; j++) {
      const start = first * width + (columns[j] as number);
      const constant = firsts[j] as number;
      let sum = 0;
      for (let k = 0, at = start; k < count; k++, at += width) {
        const value = values[at] as number;
        sum += value;
        if (value !== constant) varying[j] = 1;
      }
      const blockMean = sum / count;
      let blockSquares = 0;
      let blockLabelled = 0;
      for (let k = 0, at = start; k < count; k++, at += width) {
        const delta = (values[at] as number) - blockMean;
        blockSquares += delta * delta;
        blockLabelled += (y[first + k] as number) * delta;
      }
      const mean = means[j] as number;
      const shift = blockMean - mean;
      const merged = mean + (shift * count) / after;
      squares[j] = (squares[j] as number) + blockSquares + (shift * shift * before * count) / after;
      // sum of y (x - merged) over both parts, from each part's sum about its own mean.
      labelled[j] =
        (labelled[j] as number) -
        (merged - mean) * positives +
        blockLabelled +
        (blockMean - merged) * blockPositives;
      means[j] = merged;
    }
    positives += blockPositives;
  }
  problems.throwIfAny(source);
  if (positives === 0 || positives === n) {
    const only = positives === 0 ? 0 : 1;
    const problem = `${source}: label "${label}" is ${only} on all ${n} rows; training needs both 0 and 1`;
    throw new DataError(problem, [problem]);
  }
  for (let j = 0; j < d; j++) if (!varying[j]) means[j] = firsts[j] as number;
  const stds = new Float64Array(d).fill(1);
  const active: number[] = [];
  for (let j = 0; j < d; j++) {
    const std = Math.sqrt((squares[j] as number) / n);
    if (varying[j] && std > 0) {
      stds[j] = std;
      active.push(j);
    }
  }
  const a = active.length;
  const m = a + 1;
  const design: Design = {
    n,
    a,
    width,
    values,
    index: Int32Array.from(active, (j) => featureIndexes[j] as number),
    mean: Float64Array.from(active, (j) => means[j] as number),
    inverse: Float64Array.from(active, (j) => 1 / (stds[j] as number)),
    y,
  };

  // theta = (w of the active features, bias); z = X w + bias, kept up to date; u = how z moves along a step.
  const theta = new Float64Array(m);
  const trialTheta = new Float64Array(m);
  theta[a] = Math.log(positives / (n - positives));
  const z = new Float64Array(n).fill(theta[a] as number);
  const u = new Float64Array(n);
  let gradient = new Float64Array(m);
  let trialGradient = new Float64Array(m);
  const step = new Float64Array(m);
  const h = new Float64Array(m * m);
  const l = new Float64Array(m * m);
  const scratch: GramScratch = {
    x: new Float64Array(BLOCK_ROWS * a),
    sx: new Float64Array(BLOCK_ROWS),
    s: new Float64Array(BLOCK_ROWS),
  };
  const residuals = new Float64Array(PASS_ROWS);
  const stride = Math.max(1, Math.floor(n / Math.max(SAMPLE_ROWS, SAMPLE_ROWS_PER_COLUMN * m)));

  const penalty = (t: Float64Array): number => {
    let sum = 0;
    for (let c = 0; c < a; c++) sum += (t[c] as number) * (t[c] as number);
    return (l2 / 2) * sum;
  };
  /** Adds the penalty's gradient to the loss's; returns the largest absolute partial derivative. */
  const penalise = (g: Float64Array, t: Float64Array): number => {
    for (let c = 0; c < a; c++) g[c] = (g[c] as number) + l2 * (t[c] as number);
    let max = 0;
    for (let c = 0; c < m; c++) max = Math.max(max, Math.abs(g[c] as number));
    return max;
  };
  // At the start (w = 0, every score the bias) the loss and its gradient follow from the sums above.
  const bias = theta[a] as number;
  const share = positives / n;
  let objective = Math.max(bias, 0) + Math.log1p(Math.exp(-Math.abs(bias))) - share * bias;
  gradient[a] = sigmoid(bias) - share;
  active.forEach((j, c) => {
    gradient[c] = -(labelled[j] as number) / (stds[j] as number) / n;
  });
  let largest = penalise(gradient, theta);
  let previous = Number.POSITIVE_INFINITY;
  let iterations = 0;
  // `h` holds the Hessian (or its approximation) whose factor `l` is current; with every row, may it be reused?
  let reusable = false;
  // Past the sampled phase on a large table: `h` is updated from the gradients (BFGS), never rebuilt.
  let quasi = false;
  let stalled = false;
  const before = new Float64Array(m);
  const moved = new Float64Array(m);
  const hs = new Float64Array(m);
  while (Number.isFinite(largest) && largest > tolerance && iterations < maxIterations) {
    const shrink = largest / previous;
    previous = largest;
    iterations += 1;

    // The direction: (H + l2 I_w) step = -gradient, H the Hessian of a row sample while far from the optimum,
    // then (large tables) its BFGS update, or (small ones) the Hessian of every row, reused while it works.
    const sampled = stride > 1 && !quasi && largest > SAMPLE_UNTIL;
    // Entering the BFGS phase: one Hessian of a four times larger sample to start from.
    const entering = stride > 1 && !sampled && !quasi;
    if (entering) quasi = true;
    const fresh = sampled || entering || (!quasi && (!reusable || !(shrink <= REUSE_WHILE)));
    if (fresh) {
      weightedGram(
        design,
        z,
        sampled ? stride : entering ? Math.max(1, Math.floor(stride / 4)) : 1,
        h,
        scratch,
      );
      for (let c = 0; c < a; c++) h[c * m + c] = (h[c * m + c] as number) + l2;
      reusable = !sampled;
    }
    if (fresh || quasi) {
      let jitter = 0;
      while (!cholesky(h, m, jitter, l) && jitter <= 1) jitter = jitter === 0 ? 1e-10 : jitter * 100;
      if (jitter > 1) {
        stalled = true;
        break;
      }
    }
    solveNegative(l, m, gradient, step);
    let slope = 0;
    for (let c = 0; c < m; c++) slope += (gradient[c] as number) * (step[c] as number);
    if (!(slope < 0)) {
      stalled = true;
      break;
    }
    before.set(gradient);

    // The full step, with how it moves the scores and the gradient at its end in one pass; near the optimum
    // the objective's drop is below its rounding and the step is taken unless the objective visibly rises.
    for (let c = 0; c < m; c++) trialTheta[c] = (theta[c] as number) + (step[c] as number);
    let trial = lossGradient(design, z, step, u, trialGradient, residuals) + penalty(trialTheta);
    let t = 1;
    const tiny = -slope < TINY_DECREASE && trial <= objective + TINY_DECREASE;
    if (trial <= objective + ARMIJO * slope || tiny) {
      [gradient, trialGradient] = [trialGradient, gradient];
    } else {
      // Backtrack: halve the step until the objective drops enough, then take the gradient there.
      let accepted = false;
      for (let halving = 1; halving <= MAX_HALVINGS && !accepted; halving++) {
        t /= 2;
        for (let c = 0; c < m; c++) trialTheta[c] = (theta[c] as number) + t * (step[c] as number);
        let sum = 0;
        for (let i = 0; i < n; i++) sum += rowLoss((z[i] as number) + t * (u[i] as number), y[i] as number);
        trial = sum / n + penalty(trialTheta);
        accepted = trial <= objective + ARMIJO * t * slope;
      }
      if (!accepted) {
        stalled = true;
        break;
      }
    }
    theta.set(trialTheta);
    for (let i = 0; i < n; i++) z[i] = (z[i] as number) + t * (u[i] as number);
    objective = t === 1 ? trial : lossGradient(design, z, undefined, u, gradient, residuals) + penalty(theta);
    largest = penalise(gradient, theta);

    // Large tables near the optimum: BFGS-update h with the step s and the change of the exact gradient y,
    // h + y y'/(y's) - (h s)(h s)'/(s'h s), skipped when the curvature y's is not positive.
    if (stride > 1 && (quasi || largest <= SAMPLE_UNTIL)) {
      let ys = 0;
      for (let c = 0; c < m; c++) {
        moved[c] = t * (step[c] as number);
        before[c] = (gradient[c] as number) - (before[c] as number);
        ys += (before[c] as number) * (moved[c] as number);
      }
      let shs = 0;
      for (let j = 0; j < m; j++) {
        let sum = 0;
        for (let k = 0; k < m; k++) {
          const hjk = j >= k ? (h[j * m + k] as number) : (h[k * m + j] as number);
          sum += hjk * (moved[k] as number);
        }
        hs[j] = sum;
        shs += sum * (moved[j] as number);
      }
      if (ys > 1e-12 * Math.sqrt(shs * ys) && shs > 0) {
        for (let j = 0; j < m; j++) {
          for (let k = 0; k <= j; k++) {
            h[j * m + k] =
              (h[j * m + k] as number) +
              ((before[j] as number) * (before[k] as number)) / ys -
              ((hs[j] as number) * (hs[k] as number)) / shs;
          }
        }
      }
    }
  }

  if (!(largest <= tolerance)) {
    const steps = `${iterations} iteration${iterations === 1 ? '' : 's'}`;
    const why = !Number.isFinite(largest)
      ? 'the objective is not finite'
      : stalled
        ? `no step lowers the objective after ${steps}`
        : `not converged after ${steps}`;
    const hint =
      l2 === 0 ? '; the classes may be separable by the features: set l2 > 0' : '; raise l2 or maxIterations';
    const problem =
      `${source}: training did not converge (${why}; largest gradient ${largest.toExponential(2)} > ` +
      `tolerance ${tolerance.toExponential()})${hint}`;
    throw new DataError(problem, [problem]);
  }

  const weights = new Float64Array(d);
  active.forEach((j, c) => {
    weights[j] = theta[c] as number;
  });
  const model: LogisticModel = {
    kind: 'logistic-regression',
    features: [...features],
    means: Array.from(means),
    stds: Array.from(stds),
    weights: Array.from(weights),
    bias: theta[a] as number,
  };
  return { model, iterations, gradient: largest, objective };
}

/** {@link fitLogisticRegression}'s model. */
export function trainLogisticRegression(
  table: NumericTable,
  features: string[],
  label: string,
  params: TrainingParams,
): LogisticModel {
  return fitLogisticRegression(table, features, label, params).model;
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
