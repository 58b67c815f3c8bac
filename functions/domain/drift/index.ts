export { DriftInputError, EmptySampleError } from '#contracts/errors.ts';
/**
 * Drift engine: pure functions comparing a current window of feature values with a reference sample.
 *
 * - Numeric features (`compareNumeric`): two-sample Kolmogorov-Smirnov (statistic and p-value as
 *   scipy.stats.ks_2samp, exact up to 10,000 rows per sample, asymptotic beyond), Wasserstein-1 (raw and
 *   normed by the reference standard deviation), and PSI, Jensen-Shannon (base 2) and Hellinger on
 *   quantile bins fixed on the reference with underflow/overflow bins (`buildBins`).
 * - Categorical features (`compareCategorical`): chi-squared goodness of fit, Jensen-Shannon, PSI and
 *   Hellinger over the reference categories plus an unseen bucket; binary features add the
 *   two-proportion z-test. Unseen categories are counted, never crash.
 * - Each drift method is one module under `methods/` (kinds it fits, default rule, how its value is read
 *   from the scores), listed in `methods/index.ts`. `chooseMethod` picks Evidently's default per kind and
 *   reference size; thresholds and severity bands per method are in `DEFAULT_RULES`; `datasetDrift` gives
 *   the dataset-level drift share.
 * - Guards: missing and infinite values are counted and dropped; too few rows yields
 *   `insufficient-data`; an empty reference (or an empty sample given to a score function) throws
 *   `EmptySampleError`.
 */
export {
  type Bins,
  binCounts,
  binCountsSorted,
  buildBins,
  buildBinsSorted,
  DEFAULT_BIN_COUNT,
} from './bins.ts';

export {
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

export {
  type CategoricalDrift,
  type CategoricalOptions,
  type CategoricalReference,
  type CategoricalScores,
  type CompareOptions,
  categoricalScores,
  compareCategorical,
  compareNumeric,
  type DatasetDrift,
  DEFAULT_DRIFT_SHARE,
  DEFAULT_MAX_UNSEEN_SHARE,
  DEFAULT_MIN_ROWS,
  type DriftInsufficient,
  type DriftJudged,
  datasetDrift,
  type FeatureDrift,
  MIN_NORM_STD,
  type NumericDrift,
  type NumericOptions,
  type NumericReference,
  type NumericScores,
  numericScores,
  prepareCategoricalReference,
  prepareNumericReference,
  UNSEEN_BUCKET,
} from './compare.ts';

export { DEFAULT_PSI_EPSILON, hellinger, jensenShannon, psi, wassersteinSorted } from './distances.ts';

export { KS_EXACT_MAX_N, type KsResult, ksPValue, ksStatisticSorted, ksTestSorted } from './ks.ts';

export {
  assertMethodFits,
  chooseMethod,
  DEFAULT_RULES,
  DEFAULT_SMALL_REFERENCE,
  DRIFT_METHOD_DEFINITIONS,
  DRIFT_METHODS,
  type DriftMethod,
  type DriftMethodDefinition,
  type FeatureKind,
  judge,
  METHODS_BY_KIND,
  type MethodRule,
  methodDefinition,
  ruleFor,
  type Severity,
} from './methods/index.ts';

export { type NumericInput, type SampleCounts, type SortedSample, sortSample } from './sample.ts';

export { chiSquaredSf, kolmogorovSf, normalSf, normalTwoSidedP, smirnovSf } from './special.ts';
