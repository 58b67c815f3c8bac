import { DriftInputError, EmptySampleError } from '#contracts/errors.ts';
import { type Bins, binCountsSorted, buildBinsSorted, DEFAULT_BIN_COUNT } from './bins.ts';

import {
  type AlignedCategories,
  alignCategories,
  type CategoricalInput,
  type CategoryCounts,
  type ChiSquaredResult,
  chiSquared,
  countCategories,
  twoProportionZTest,
  type ZTestResult,
} from './categorical.ts';

import { DEFAULT_PSI_EPSILON, hellinger, jensenShannon, psi, wassersteinSorted } from './distances.ts';

import { type KsResult, ksTestSorted } from './ks.ts';

import {
  assertMethodFits,
  chooseMethod,
  DEFAULT_SMALL_REFERENCE,
  type DriftMethod,
  type FeatureKind,
  judge,
  type MethodRule,
  methodDefinition,
  ruleFor,
  type Severity,
} from './methods/index.ts';

import { meanAndStd, type NumericInput, type SampleCounts, type SortedSample, sortSample } from './sample.ts';

/** Default minimum of usable rows in a window (and in the reference) below which drift is not judged. */
export const DEFAULT_MIN_ROWS = 30;
/** Normed Wasserstein divides by max(reference std, this), as Evidently, so a constant reference is no division by 0. */
export const MIN_NORM_STD = 0.001;
/** Default largest share of current rows in categories the reference never saw before that alone is drift. */
export const DEFAULT_MAX_UNSEEN_SHARE = 0.05;
/** Label of the bucket that gathers unseen categories in categorical histograms. */
export const UNSEEN_BUCKET = '(unseen)';
const MAX_LISTED_UNSEEN = 20;

/** Options shared by numeric and categorical comparisons. */
export interface CompareOptions {
  /** Method deciding drift; `auto` (default) applies {@link chooseMethod}. */
  method?: DriftMethod | 'auto';
  /** Drift threshold of the method (p-value or distance); defaults per method in `DEFAULT_RULES`. */
  threshold?: number;
  /** Major-drift threshold of the method; defaults per method in `DEFAULT_RULES`. */
  major?: number;
  /** Fewer usable rows than this in the window (or reference) gives `insufficient-data`. @default 30 */
  minRows?: number;
  /** Reference size up to which `auto` picks a statistical test. @default 1000 */
  smallReference?: number;
  /** PSI's empty-bin epsilon. @default 1e-4 */
  psiEpsilon?: number;
}

/** Options of {@link compareNumeric}. */
export interface NumericOptions extends CompareOptions {
  /** Quantile bins fixed on a raw reference (ignored for a prepared one). @default 10 */
  bins?: number;
}

/** Options of {@link compareCategorical}. */
export interface CategoricalOptions extends CompareOptions {
  /** `binary` enables the z-test; default: `binary` when the reference has at most 2 categories. */
  kind?: 'categorical' | 'binary';
  /** Share of current rows in unseen categories above which the feature drifts whatever the method says. @default 0.05 */
  maxUnseenShare?: number;
  /** Binary only: the category counted as success by the z-test. Default: the last reference category in sort order. */
  positive?: string;
}

/** A numeric reference prepared once (sorted, binned, moments) and reused for every window. */
export interface NumericReference {
  readonly type: 'numeric-reference';
  readonly sorted: Float64Array;
  readonly counts: SampleCounts;
  readonly bins: Bins;
  readonly mean: number;
  /** Population standard deviation (ddof = 0). */
  readonly std: number;
}

/** A categorical reference prepared once and reused for every window. */
export interface CategoricalReference {
  readonly type: 'categorical-reference';
  readonly counts: ReadonlyMap<string, number>;
  readonly sample: SampleCounts;
}

/** Every numeric score of one window against the reference (whatever method decides). */
export interface NumericScores {
  ks: KsResult;
  /** Wasserstein-1 distance in the feature's units. */
  wasserstein: number;
  /** Wasserstein-1 divided by max(reference std, 0.001). */
  wassersteinNormed: number;
  psi: number;
  /** Jensen-Shannon distance, base 2, on the reference bins. */
  jensenShannon: number;
  hellinger: number;
  /** The binned distributions: counts per bin, `[underflow, ...bins, overflow]`, and the bin edges. */
  histogram: { edges: number[]; reference: number[]; current: number[] };
}

/** Every categorical score of one window against the reference. */
export interface CategoricalScores {
  /** Over reference categories only; absent when no current row falls in one. */
  chiSquared?: ChiSquaredResult;
  /** Binary features only; absent when no current row falls in a reference category. */
  zTest?: ZTestResult;
  /** Over reference categories plus the unseen bucket. */
  jensenShannon: number;
  psi: number;
  hellinger: number;
  unseen: {
    count: number;
    /** unseen / usable current rows. */
    share: number;
    /** Up to 20 unseen categories, most frequent first. */
    categories: string[];
  };
  /** Counts per category, reference categories (sorted) then the unseen bucket. */
  histogram: { categories: string[]; reference: number[]; current: number[] };
}

/** A feature whose drift was judged. */
export interface DriftJudged<S> {
  status: 'ok';
  kind: FeatureKind;
  method: DriftMethod;
  /** Whether `value` is a p-value (drift when small) or a distance (drift when large). */
  test: 'p-value' | 'distance';
  /** The number compared with `threshold`. */
  value: number;
  threshold: number;
  drifted: boolean;
  severity: Severity;
  /** Why it drifted when the method's value alone would not say so (e.g. unseen categories). */
  reason?: string;
  reference: SampleCounts;
  current: SampleCounts;
  scores: S;
}

/** A feature whose window (or reference) had too few usable rows: never drift, never a crash. */
export interface DriftInsufficient {
  status: 'insufficient-data';
  kind: FeatureKind;
  method: DriftMethod;
  drifted: false;
  severity: 'none';
  reason: string;
  minRows: number;
  reference: SampleCounts;
  current: SampleCounts;
}

export type NumericDrift = DriftJudged<NumericScores> | DriftInsufficient;
export type CategoricalDrift = DriftJudged<CategoricalScores> | DriftInsufficient;
export type FeatureDrift = NumericDrift | CategoricalDrift;

/**
 * Prepares a numeric reference: drops missing/infinite values, sorts, fixes quantile bins, takes moments.
 * @throws EmptySampleError when no finite value is left.
 */
export function prepareNumericReference(values: NumericInput, bins = DEFAULT_BIN_COUNT): NumericReference {
  return prepareSortedReference(sortSample(values), bins);
}

function prepareSortedReference(sample: SortedSample, bins: number): NumericReference {
  if (sample.sorted.length === 0) throw new EmptySampleError('reference');
  const { mean, std } = meanAndStd(sample.sorted);
  return {
    type: 'numeric-reference',
    sorted: sample.sorted,
    counts: sample.counts,
    bins: buildBinsSorted(sample.sorted, bins),
    mean,
    std,
  };
}

/** Prepares a categorical reference. @throws EmptySampleError when no category is left after the guards. */
export function prepareCategoricalReference(values: CategoricalInput): CategoricalReference {
  const { counts, sample } = countCategories(values);
  if (sample.used === 0) throw new EmptySampleError('reference');
  return { type: 'categorical-reference', counts, sample };
}

/**
 * Computes every numeric score of a sorted current sample against a prepared reference: both samples are
 * sorted once and shared by KS, Wasserstein and the binning. @throws EmptySampleError when `current` is empty.
 */
export function numericScores(
  reference: NumericReference,
  current: Float64Array,
  psiEpsilon = DEFAULT_PSI_EPSILON,
): NumericScores {
  if (current.length === 0) throw new EmptySampleError('current');
  const ks = ksTestSorted(reference.sorted, current);
  const wasserstein = wassersteinSorted(reference.sorted, current);
  const refCounts = reference.bins.referenceCounts;
  const curCounts = binCountsSorted(reference.bins, current);
  return {
    ks,
    wasserstein,
    wassersteinNormed: wasserstein / Math.max(reference.std, MIN_NORM_STD),
    psi: psi(refCounts, curCounts, psiEpsilon),
    jensenShannon: jensenShannon(refCounts, curCounts),
    hellinger: hellinger(refCounts, curCounts),
    histogram: { edges: [...reference.bins.edges], reference: [...refCounts], current: [...curCounts] },
  };
}

function numericValue(method: DriftMethod, scores: NumericScores): number {
  const value = methodDefinition(method)?.numeric;
  if (value === undefined) {
    throw new DriftInputError(`method "${method}" does not apply to a numeric feature`);
  }
  return value(scores);
}

function resolveMethod(kind: FeatureKind, referenceSize: number, options: CompareOptions): DriftMethod {
  const method =
    options.method === undefined || options.method === 'auto'
      ? chooseMethod(kind, referenceSize, options.smallReference ?? DEFAULT_SMALL_REFERENCE)
      : options.method;
  assertMethodFits(method, kind);
  return method;
}

function minRowsOf(options: CompareOptions): number {
  const minRows = options.minRows ?? DEFAULT_MIN_ROWS;
  if (!Number.isInteger(minRows) || minRows < 1)
    throw new RangeError(`minRows must be an integer >= 1, got ${minRows}`);
  return minRows;
}

function describe(counts: SampleCounts): string {
  return `${counts.used} usable rows of ${counts.rows} (${counts.missing} missing, ${counts.infinite} infinite)`;
}

function insufficiency(
  kind: FeatureKind,
  method: DriftMethod,
  minRows: number,
  reference: SampleCounts,
  current: SampleCounts,
): DriftInsufficient | undefined {
  const short =
    current.used < minRows
      ? `current window has ${describe(current)}`
      : reference.used < minRows
        ? `reference has ${describe(reference)}`
        : undefined;
  if (short === undefined) return undefined;
  return {
    status: 'insufficient-data',
    kind,
    method,
    drifted: false,
    severity: 'none',
    reason: `${short}, fewer than minRows ${minRows}`,
    minRows,
    reference,
    current,
  };
}

/**
 * Compares a numeric window with a reference. Missing and infinite values are counted and dropped; a
 * window (or reference) with fewer than `minRows` usable rows, including an empty one, yields
 * `insufficient-data`. All scores are computed; the method (default: {@link chooseMethod}) decides.
 * @throws EmptySampleError when the reference has no finite value (a configuration error, not a window state).
 * @throws DriftInputError when the method does not apply to numbers or a value is not a number.
 */
export function compareNumeric(
  reference: NumericReference | NumericInput,
  current: NumericInput,
  options: NumericOptions = {},
): NumericDrift {
  const ref = isNumericReference(reference)
    ? reference
    : prepareNumericReference(reference, options.bins ?? DEFAULT_BIN_COUNT);
  const cur = sortSample(current);
  const method = resolveMethod('numeric', ref.counts.used, options);
  const minRows = minRowsOf(options);
  const short = insufficiency('numeric', method, minRows, ref.counts, cur.counts);
  if (short !== undefined) return short;
  const scores = numericScores(ref, cur.sorted, options.psiEpsilon);
  const rule = ruleFor(method, options);
  return judged('numeric', method, rule, numericValue(method, scores), ref.counts, cur.counts, scores);
}

function isNumericReference(value: NumericReference | NumericInput): value is NumericReference {
  return (value as Partial<NumericReference>).type === 'numeric-reference';
}

function isCategoricalReference(
  value: CategoricalReference | CategoricalInput,
): value is CategoricalReference {
  return (value as Partial<CategoricalReference>).type === 'categorical-reference';
}

function judged<S>(
  kind: FeatureKind,
  method: DriftMethod,
  rule: MethodRule,
  value: number,
  reference: SampleCounts,
  current: SampleCounts,
  scores: S,
): DriftJudged<S> {
  const { drifted, severity } = judge(rule, value);
  return {
    status: 'ok',
    kind,
    method,
    test: rule.test,
    value,
    threshold: rule.threshold,
    drifted,
    severity,
    reference,
    current,
    scores,
  };
}

/**
 * Categorical scores. Unseen categories (never in the reference) are counted and:
 * - gathered in one extra bucket for PSI, Jensen-Shannon and Hellinger, so new categories raise them
 *   (PSI's epsilon rule gives the bucket a small reference proportion);
 * - left out of chi-squared and the z-test, which test the current rows of known categories against
 *   the reference proportions (the reference gives no expected frequency for a category it never saw).
 */
export function categoricalScores(
  aligned: AlignedCategories,
  binary: boolean,
  currentUsed: number,
  options: Pick<CategoricalOptions, 'psiEpsilon' | 'positive'> = {},
): CategoricalScores {
  if (currentUsed === 0) throw new EmptySampleError('current');
  const { categories, referenceCounts, currentCounts, unseen } = aligned;
  const k = categories.length;
  const refWithBucket = new Float64Array(k + 1);
  refWithBucket.set(referenceCounts);
  const curWithBucket = new Float64Array(k + 1);
  curWithBucket.set(currentCounts);
  curWithBucket[k] = unseen.count;
  const known = currentUsed - unseen.count;
  const scores: CategoricalScores = {
    jensenShannon: jensenShannon(refWithBucket, curWithBucket),
    psi: psi(refWithBucket, curWithBucket, options.psiEpsilon),
    hellinger: hellinger(refWithBucket, curWithBucket),
    unseen: {
      count: unseen.count,
      share: unseen.count / currentUsed,
      categories: unseen.categories.slice(0, MAX_LISTED_UNSEEN),
    },
    histogram: {
      categories: [...categories, UNSEEN_BUCKET],
      reference: [...refWithBucket],
      current: [...curWithBucket],
    },
  };
  if (known > 0) {
    scores.chiSquared = chiSquared(referenceCounts, currentCounts);
    if (binary) {
      const positive = options.positive ?? categories[k - 1];
      const index = positive === undefined ? -1 : categories.indexOf(positive);
      if (options.positive !== undefined && index < 0) {
        throw new DriftInputError(`positive category "${options.positive}" is not a reference category`);
      }
      const refTotal = referenceCounts.reduce((a, b) => a + b, 0);
      const refSuccesses = index < 0 ? 0 : (referenceCounts[index] as number);
      const curSuccesses = index < 0 ? 0 : (currentCounts[index] as number);
      scores.zTest = twoProportionZTest(refSuccesses, refTotal, curSuccesses, known);
    }
  }
  return scores;
}

function categoricalValue(method: DriftMethod, scores: CategoricalScores): number {
  const value = methodDefinition(method)?.categorical;
  if (value === undefined) {
    throw new DriftInputError(`method "${method}" does not apply to a categorical feature`);
  }
  return value(scores);
}

/**
 * Compares a categorical (or binary) window with a reference. Missing values (`null`, `undefined`,
 * `NaN`, `''`) and +-Infinity codes are counted and dropped; fewer than `minRows` usable rows yields
 * `insufficient-data`. Unseen categories are reported and scored as described in
 * {@link categoricalScores}; when their share of the window exceeds `maxUnseenShare` (default 5%) the
 * feature drifts (at least `moderate`) whatever the method says.
 * @throws EmptySampleError when the reference has no usable value.
 * @throws DriftInputError when the method does not fit, or `binary` is asked of more than 2 categories.
 */
export function compareCategorical(
  reference: CategoricalReference | CategoricalInput,
  current: CategoricalInput,
  options: CategoricalOptions = {},
): CategoricalDrift {
  const ref = isCategoricalReference(reference) ? reference : prepareCategoricalReference(reference);
  const cur: CategoryCounts = countCategories(current);
  const categoryCount = ref.counts.size;
  const kind: FeatureKind = options.kind ?? (categoryCount <= 2 ? 'binary' : 'categorical');
  if (kind === 'binary' && categoryCount > 2) {
    throw new DriftInputError(
      `a binary feature has at most 2 reference categories, this one has ${categoryCount}`,
    );
  }
  const method = resolveMethod(kind, ref.sample.used, options);
  const minRows = minRowsOf(options);
  const short = insufficiency(kind, method, minRows, ref.sample, cur.sample);
  if (short !== undefined) return short;
  const aligned = alignCategories(ref.counts, cur.counts);
  const scores = categoricalScores(aligned, kind === 'binary', cur.sample.used, options);
  const rule = ruleFor(method, options);
  const result = judged(kind, method, rule, categoricalValue(method, scores), ref.sample, cur.sample, scores);
  const maxUnseen = options.maxUnseenShare ?? DEFAULT_MAX_UNSEEN_SHARE;
  if (scores.unseen.share > maxUnseen) {
    const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
    result.reason = `${percent(scores.unseen.share)} of current rows are in categories the reference never saw (more than ${percent(maxUnseen)})`;
    result.drifted = true;
    if (result.severity === 'none') result.severity = 'moderate';
  }
  return result;
}

/** Dataset-level drift: the share of judged features that drifted against a threshold. */
export interface DatasetDrift {
  /** `insufficient-data` when no feature could be judged. */
  status: 'ok' | 'insufficient-data';
  drifted: boolean;
  /** Drifted features / judged features (0 when none was judged). */
  share: number;
  threshold: number;
  judged: number;
  driftedFeatures: string[];
  majorFeatures: string[];
  insufficientFeatures: string[];
}

/** Default share of drifted features at which the dataset drifts (Evidently). */
export const DEFAULT_DRIFT_SHARE = 0.5;

/**
 * Dataset drift from per-feature results: drifted when at least `share` (default 0.5) of the judged
 * features drifted. Features with insufficient data are listed but neither drift nor count in the share.
 */
export function datasetDrift(
  results: Readonly<Record<string, FeatureDrift>> | ReadonlyMap<string, FeatureDrift>,
  share = DEFAULT_DRIFT_SHARE,
): DatasetDrift {
  const entries = results instanceof Map ? [...results.entries()] : Object.entries(results);
  const driftedFeatures: string[] = [];
  const majorFeatures: string[] = [];
  const insufficientFeatures: string[] = [];
  let judgedCount = 0;
  for (const [feature, result] of entries) {
    if (result.status === 'insufficient-data') {
      insufficientFeatures.push(feature);
      continue;
    }
    judgedCount++;
    if (result.drifted) driftedFeatures.push(feature);
    if (result.severity === 'major') majorFeatures.push(feature);
  }
  const driftShare = judgedCount === 0 ? 0 : driftedFeatures.length / judgedCount;
  return {
    status: judgedCount === 0 ? 'insufficient-data' : 'ok',
    drifted: judgedCount > 0 && driftShare >= share,
    share: driftShare,
    threshold: share,
    judged: judgedCount,
    driftedFeatures,
    majorFeatures,
    insufficientFeatures,
  };
}
