/**
 * Monitoring of one dataset window: per-feature drift (the drift engine, with the policy's method and
 * threshold per feature), dataset drift share and data quality, from a reference and a current dataset.
 * Pure: datasets in, plain results out.
 */
import { DriftInputError, EmptyDatasetError, EmptySampleError } from '#contracts/errors.ts';
import {
  type CategoricalDrift,
  chooseMethod,
  compareCategorical,
  compareNumeric,
  DEFAULT_RULES,
  type DriftMethod,
  datasetDrift,
  type FeatureDrift,
  type NumericDrift,
  type Severity,
} from './drift/index.ts';
import type { MonitoringPolicy } from './policy.ts';
import {
  type ColumnType,
  checkQuality,
  type Dataset,
  labelColumn,
  numericColumn,
  type QualityReport,
} from './quality.ts';

/** Drift of one monitored feature. */
export interface FeatureResult {
  feature: string;
  type: ColumnType;
  method: DriftMethod;
  /** `p-value`: drift when `value` is at or below `threshold`; `distance`: drift when at or above. */
  test: 'p-value' | 'distance';
  /** The number compared with `threshold` (a p-value or a distance); null when the feature was not judged. */
  value: number | null;
  /** Test methods (ks, chisquare, ztest): the p-value. */
  pValue?: number;
  /** Test methods: the test statistic (KS D, chi-squared, z). */
  statistic?: number;
  threshold: number;
  drifted: boolean;
  severity: Severity;
  /** `insufficient-data`: too few usable rows; `error`: the feature cannot be compared (see `reason`). */
  status: 'ok' | 'insufficient-data' | 'error';
  reason?: string;
}

/** The monitoring result of one window. */
export interface MonitoringResult {
  /** `insufficient-data` when the window has fewer than `minRows` rows, or every comparable feature had too few usable rows. */
  status: 'ok' | 'insufficient-data';
  /** Rows of the current window. */
  rows: number;
  referenceRows: number;
  features: FeatureResult[];
  dataset: {
    /** Drifted features / judged features (0 when none was judged). */
    share: number;
    /** Number of drifted features. */
    drifted: number;
    /** Number of judged features. */
    total: number;
    /** Whether `share` reached the policy's `driftShare`. */
    drift: boolean;
    threshold: number;
    driftedFeatures: string[];
  };
  quality: QualityReport;
}

/** The parts of the monitoring policy the computation reads (dataset keys are the caller's business). */
export type MonitoringInput = Pick<MonitoringPolicy, 'features' | 'minRows' | 'driftShare' | 'quality'>;

type MonitoredFeature = MonitoringPolicy['features'][number];

function isTest(method: DriftMethod): boolean {
  return DEFAULT_RULES[method].test === 'p-value';
}

/** A feature that was not judged: the method it would have used, never drift. */
function unjudged(
  feature: MonitoredFeature,
  referenceSize: number,
  status: 'insufficient-data' | 'error',
  reason: string,
): FeatureResult {
  const method = feature.method ?? chooseMethod(feature.type, referenceSize);
  return {
    feature: feature.name,
    type: feature.type,
    method,
    test: isTest(method) ? 'p-value' : 'distance',
    value: null,
    threshold: feature.threshold ?? DEFAULT_RULES[method].threshold,
    drifted: false,
    severity: 'none',
    status,
    reason,
  };
}

/** Runs the drift engine on one feature. */
function compare(
  policy: MonitoringInput,
  feature: MonitoredFeature,
  reference: Dataset,
  current: Dataset,
): FeatureDrift {
  const options = {
    method: feature.method ?? 'auto',
    threshold: feature.threshold,
    minRows: policy.minRows,
  } as const;
  if (feature.type === 'numeric') {
    return compareNumeric(
      numericColumn(reference, feature.name) as Float64Array,
      numericColumn(current, feature.name) as Float64Array,
      options,
    );
  }
  return compareCategorical(
    labelColumn(reference, feature.name) as (string | null)[],
    labelColumn(current, feature.name) as (string | null)[],
    { ...options, kind: feature.type, maxUnseenShare: policy.quality.maxUnseenRate },
  );
}

function testScores(drift: FeatureDrift): { statistic: number } | undefined {
  if (drift.status !== 'ok') return undefined;
  const scores = drift.scores;
  if ('ks' in scores) return drift.method === 'ks' ? scores.ks : undefined;
  if (drift.method === 'chisquare') return scores.chiSquared;
  if (drift.method === 'ztest') return scores.zTest;
  return undefined;
}

function toResult(feature: MonitoredFeature, drift: NumericDrift | CategoricalDrift): FeatureResult {
  const base = {
    feature: feature.name,
    type: feature.type,
    method: drift.method,
    test: isTest(drift.method) ? ('p-value' as const) : ('distance' as const),
    drifted: drift.drifted,
    severity: drift.severity,
  };
  if (drift.status === 'insufficient-data') {
    return {
      ...base,
      value: null,
      threshold: feature.threshold ?? DEFAULT_RULES[drift.method].threshold,
      status: 'insufficient-data',
      reason: drift.reason,
    };
  }
  const test = testScores(drift);
  return {
    ...base,
    test: drift.test,
    value: drift.value,
    // A test with no current row in a known category has no statistic; its p-value is 0 (see the engine).
    ...(drift.test === 'p-value' ? { pValue: drift.value } : {}),
    ...(test ? { statistic: test.statistic } : {}),
    threshold: drift.threshold,
    status: 'ok',
    ...(drift.reason ? { reason: drift.reason } : {}),
  };
}

/**
 * Compares the current window with the reference, feature by feature, and checks data quality.
 *
 * - Each feature uses the policy's `method` and `threshold` when given, else the engine's default for its
 *   type and reference size (KS / Wasserstein, chi-squared / Jensen-Shannon, z-test / Jensen-Shannon).
 * - A window with fewer than `minRows` rows is `insufficient-data`: no feature drifts and nothing is
 *   computed beyond the structural quality checks. A feature with fewer usable (non-missing) rows than
 *   `minRows` is `insufficient-data` on its own.
 * - A feature absent from either dataset, or that cannot be compared (a reference without usable values,
 *   a `binary` feature with three categories), is `error` with the reason; it never drifts and does not
 *   count in the dataset share. Data quality names it.
 * - Dataset drift: share of judged features that drifted, against the policy's `driftShare`.
 * @throws EmptyDatasetError when the current window (or the reference) has no row at all.
 */
export function computeMonitoring(
  policy: MonitoringInput,
  reference: Dataset,
  current: Dataset,
): MonitoringResult {
  if (reference.rows === 0) throw new EmptyDatasetError(`the reference ${reference.source} has no rows`);
  if (current.rows === 0) throw new EmptyDatasetError(`the current window ${current.source} has no rows`);
  const quality = checkQuality(policy, reference, current);
  const insufficient = current.rows < policy.minRows;
  const features: FeatureResult[] = [];
  const judged = new Map<string, FeatureDrift>();
  for (const feature of policy.features) {
    const referenceSize = reference.rows;
    if (insufficient) {
      const reason = `current window has ${current.rows} rows, fewer than minRows ${policy.minRows}`;
      features.push(unjudged(feature, referenceSize, 'insufficient-data', reason));
      continue;
    }
    const missingFrom = [reference, current].find((dataset) => dataset.columns[feature.name] === undefined);
    if (missingFrom) {
      const reason = `column "${feature.name}" is missing from ${missingFrom === reference ? 'the reference ' : ''}${missingFrom.source}`;
      features.push(unjudged(feature, referenceSize, 'error', reason));
      continue;
    }
    let drift: FeatureDrift;
    try {
      drift = compare(policy, feature, reference, current);
    } catch (error) {
      if (!(error instanceof DriftInputError || error instanceof EmptySampleError)) throw error;
      const reason =
        error instanceof EmptySampleError
          ? `the reference has no usable value of "${feature.name}"`
          : error.message;
      features.push(unjudged(feature, referenceSize, 'error', reason));
      continue;
    }
    judged.set(feature.name, drift);
    features.push(toResult(feature, drift));
  }
  const summary = datasetDrift(judged, policy.driftShare);
  return {
    status:
      insufficient || (summary.judged === 0 && summary.insufficientFeatures.length > 0)
        ? 'insufficient-data'
        : 'ok',
    rows: current.rows,
    referenceRows: reference.rows,
    features,
    dataset: {
      share: summary.share,
      drifted: summary.driftedFeatures.length,
      total: summary.judged,
      drift: summary.drifted,
      threshold: policy.driftShare,
      driftedFeatures: summary.driftedFeatures,
    },
    quality,
  };
}

/** The key of the current window's dataset: `{date}` in the policy's template becomes the window's start date (YYYY-MM-DD), the day its data belongs to. */
export function currentDatasetKey(template: string, windowStart: string | Date): string {
  const date = new Date(windowStart);
  if (Number.isNaN(date.getTime()))
    throw new RangeError(`window start "${String(windowStart)}" is not a date`);
  return template.replaceAll('{date}', date.toISOString().slice(0, 10));
}
