import { EmptySampleError } from '#contracts/errors.ts';
import type { SampleCounts } from './sample.ts';
import { chiSquaredSf, normalTwoSidedP } from './special.ts';

/** Values a categorical column may hold (labels or integer codes); `null`, `undefined`, `NaN`, `''` are missing. */
export type CategoricalInput = ArrayLike<string | number | boolean | null | undefined>;

/** Category frequencies of one sample after the guards. */
export interface CategoryCounts {
  /** Count per category label (numbers and booleans are keyed by `String(value)`). */
  readonly counts: ReadonlyMap<string, number>;
  readonly sample: SampleCounts;
}

/** Counts categories, dropping (and counting) missing values and +-Infinity codes. */
export function countCategories(values: CategoricalInput): CategoryCounts {
  const counts = new Map<string, number>();
  let missing = 0;
  let infinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v))) {
      missing++;
      continue;
    }
    if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) {
      infinite++;
      continue;
    }
    const key = typeof v === 'string' ? v : String(v);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const rows = values.length;
  return { counts, sample: { rows, used: rows - missing - infinite, missing, infinite } };
}

/** A current sample laid out on the reference's categories. */
export interface AlignedCategories {
  /** Reference categories, sorted (the layout of both count arrays). */
  categories: string[];
  referenceCounts: Float64Array;
  currentCounts: Float64Array;
  /** Current rows whose category the reference never saw, and those categories (sorted, by count). */
  unseen: { count: number; categories: string[] };
}

/**
 * Lays reference and current counts out on the reference categories (sorted). Categories the reference
 * never saw are not placed in a bin: they are counted in `unseen` (see `compareCategorical` for how they
 * enter each score).
 */
export function alignCategories(
  reference: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
): AlignedCategories {
  const categories = [...reference.keys()].sort();
  const referenceCounts = Float64Array.from(categories, (c) => reference.get(c) ?? 0);
  const currentCounts = Float64Array.from(categories, (c) => current.get(c) ?? 0);
  const unseenEntries = [...current.entries()].filter(([category]) => !reference.has(category));
  unseenEntries.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const count = unseenEntries.reduce((sum, [, n]) => sum + n, 0);
  return {
    categories,
    referenceCounts,
    currentCounts,
    unseen: { count, categories: unseenEntries.map(([c]) => c) },
  };
}

/** Result of a chi-squared goodness-of-fit test. */
export interface ChiSquaredResult {
  statistic: number;
  pValue: number;
  df: number;
}

/**
 * Pearson chi-squared goodness of fit of current counts against the reference proportions scaled to the
 * current total (scipy.stats.chisquare(observed, expected)); df = categories - 1. With a single category
 * there is nothing to test: statistic 0, p-value 1. Categories with no reference count are ignored
 * (their expected frequency would be 0).
 * @throws EmptySampleError when either side has no count.
 */
export function chiSquared(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
): ChiSquaredResult {
  let refTotal = 0;
  let curTotal = 0;
  let k = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const r = referenceCounts[i] as number;
    if (r > 0) {
      refTotal += r;
      curTotal += currentCounts[i] as number;
      k++;
    }
  }
  if (!(refTotal > 0)) throw new EmptySampleError('reference');
  if (!(curTotal > 0)) throw new EmptySampleError('current');
  if (k < 2) return { statistic: 0, pValue: 1, df: 0 };
  let statistic = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const r = referenceCounts[i] as number;
    if (!(r > 0)) continue;
    const expected = (r / refTotal) * curTotal;
    const d = (currentCounts[i] as number) - expected;
    statistic += (d * d) / expected;
  }
  return { statistic, pValue: chiSquaredSf(statistic, k - 1), df: k - 1 };
}

/** Result of a two-proportion z-test. */
export interface ZTestResult {
  /** (p_ref - p_cur) / sqrt(P (1 - P) (1/n_ref + 1/n_cur)), P the pooled proportion. */
  statistic: number;
  pValue: number;
  referenceProportion: number;
  currentProportion: number;
}

/**
 * Two-sided two-proportion z-test with pooled variance (Evidently's `z` test): successes out of totals
 * in each sample. When the pooled proportion is 0 or 1 both samples agree: z = 0, p = 1.
 * @throws EmptySampleError when either total is 0.
 */
export function twoProportionZTest(
  referenceSuccesses: number,
  referenceTotal: number,
  currentSuccesses: number,
  currentTotal: number,
): ZTestResult {
  if (!(referenceTotal > 0)) throw new EmptySampleError('reference');
  if (!(currentTotal > 0)) throw new EmptySampleError('current');
  const p1 = referenceSuccesses / referenceTotal;
  const p2 = currentSuccesses / currentTotal;
  const pooled = (referenceSuccesses + currentSuccesses) / (referenceTotal + currentTotal);
  const variance = pooled * (1 - pooled) * (1 / referenceTotal + 1 / currentTotal);
  if (!(variance > 0)) return { statistic: 0, pValue: 1, referenceProportion: p1, currentProportion: p2 };
  const statistic = (p1 - p2) / Math.sqrt(variance);
  return { statistic, pValue: normalTwoSidedP(statistic), referenceProportion: p1, currentProportion: p2 };
}
