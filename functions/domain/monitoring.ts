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
  type Dataset,
  type DatasetColumn,
  featureFindings,
  labelColumn,
  numericColumn,
  type QualityFinding,
  type QualityReport,
  qualityReport,
  rowCountFinding,
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

/** One feature's drift result and quality findings; `drift` when it was judged. */
interface FeatureOutcome {
  result: FeatureResult;
  drift?: FeatureDrift;
  findings: QualityFinding[];
}

/** Drift and quality of one feature; the datasets need to hold only that feature's column. */
function monitorFeature(
  policy: MonitoringInput,
  feature: MonitoredFeature,
  reference: Dataset,
  current: Dataset,
): FeatureOutcome {
  const findings = featureFindings(policy, feature, reference, current);
  const referenceSize = reference.rows;
  if (current.rows < policy.minRows) {
    const reason = `current window has ${current.rows} rows, fewer than minRows ${policy.minRows}`;
    return { result: unjudged(feature, referenceSize, 'insufficient-data', reason), findings };
  }
  const missingFrom = [reference, current].find((dataset) => dataset.columns[feature.name] === undefined);
  if (missingFrom) {
    const reason = `column "${feature.name}" is missing from ${missingFrom === reference ? 'the reference ' : ''}${missingFrom.source}`;
    return { result: unjudged(feature, referenceSize, 'error', reason), findings };
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
    return { result: unjudged(feature, referenceSize, 'error', reason), findings };
  }
  return { result: toResult(feature, drift), drift, findings };
}

function assertNotEmpty(
  reference: Pick<Dataset, 'rows' | 'source'>,
  current: Pick<Dataset, 'rows' | 'source'>,
) {
  if (reference.rows === 0) throw new EmptyDatasetError(`the reference ${reference.source} has no rows`);
  if (current.rows === 0) throw new EmptyDatasetError(`the current window ${current.source} has no rows`);
}

/** The window's result from its features' outcomes, in the policy's order. */
function assemble(
  policy: MonitoringInput,
  referenceRows: number,
  current: Pick<Dataset, 'rows'>,
  outcomes: readonly FeatureOutcome[],
): MonitoringResult {
  const insufficient = current.rows < policy.minRows;
  const judged = new Map<string, FeatureDrift>();
  const findings = [rowCountFinding(policy, current)];
  for (const outcome of outcomes) {
    if (outcome.drift) judged.set(outcome.result.feature, outcome.drift);
    findings.push(...outcome.findings);
  }
  const summary = datasetDrift(judged, policy.driftShare);
  return {
    status:
      insufficient || (summary.judged === 0 && summary.insufficientFeatures.length > 0)
        ? 'insufficient-data'
        : 'ok',
    rows: current.rows,
    referenceRows,
    features: outcomes.map((outcome) => outcome.result),
    dataset: {
      share: summary.share,
      drifted: summary.driftedFeatures.length,
      total: summary.judged,
      drift: summary.drifted,
      threshold: policy.driftShare,
      driftedFeatures: summary.driftedFeatures,
    },
    quality: qualityReport(policy, current, findings),
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
  assertNotEmpty(reference, current);
  const outcomes = policy.features.map((feature) => monitorFeature(policy, feature, reference, current));
  return assemble(policy, reference.rows, current, outcomes);
}

/** One column of a {@link FeatureSource} and its values that were not numbers (numeric columns). */
export interface SourceColumn {
  values: DatasetColumn;
  typeViolations: number;
}

/**
 * A dataset read one column at a time: what its header (or footer) says, and a reader of one column. The
 * caller holds a column only while it judges that feature, so memory stays at a few columns whatever the width.
 */
export interface FeatureSource {
  readonly source: string;
  readonly rows: number;
  /** Whether the dataset has the column. */
  has(name: string): boolean;
  /** Reads one column the dataset has, as `type`. */
  column(spec: { name: string; type: ColumnType }): Promise<SourceColumn>;
}

/** A dataset holding one column (or none), for the per-feature checks. */
async function oneColumn(source: FeatureSource, feature: MonitoredFeature, load: boolean): Promise<Dataset> {
  const dataset: Dataset = {
    source: source.source,
    rows: source.rows,
    columns: {},
    absentColumns: [],
    typeViolations: {},
    problems: [],
  };
  if (!source.has(feature.name)) return dataset;
  // Below minRows nothing reads the values: a placeholder says the column is there.
  if (!load) {
    dataset.columns[feature.name] = feature.type === 'numeric' ? new Float64Array(0) : [];
    return dataset;
  }
  const { values, typeViolations } = await source.column(feature);
  dataset.columns[feature.name] = values;
  dataset.typeViolations[feature.name] = typeViolations;
  return dataset;
}

/**
 * {@link computeMonitoring} over datasets read one feature at a time: each feature's two columns are read,
 * judged and dropped before the next, so peak memory is a few columns, not two whole datasets. The result is
 * the same as {@link computeMonitoring} on the whole datasets.
 * @throws EmptyDatasetError when the current window (or the reference) has no row at all.
 */
export async function computeMonitoringByFeature(
  policy: MonitoringInput,
  reference: FeatureSource,
  current: FeatureSource,
): Promise<MonitoringResult> {
  assertNotEmpty(reference, current);
  const load = current.rows >= policy.minRows;
  const outcomes: FeatureOutcome[] = [];
  for (const feature of policy.features) {
    // Only a feature both datasets have is read: the other side of an absent column is never looked at.
    const both = load && reference.has(feature.name) && current.has(feature.name);
    const ref = await oneColumn(reference, feature, both);
    const cur = await oneColumn(current, feature, both);
    outcomes.push(monitorFeature(policy, feature, ref, cur));
  }
  return assemble(policy, reference.rows, current, outcomes);
}

export { currentDatasetKey } from './dated-keys.ts';
