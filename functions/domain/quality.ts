/**
 * Data-quality checks of a current dataset window against the reference and the policy's limits: row
 * count, expected columns, type violations, missing values, numeric values outside the reference range,
 * categories the reference never saw. Pure: datasets in, findings out.
 */
import type { MonitoringPolicy } from './policy.ts';

/** How a column is read: numbers, or labels (`binary` is a label column with two values). */
export type ColumnType = 'numeric' | 'categorical' | 'binary';

/** Numeric columns hold NaN for missing or unparseable values; label columns hold null for missing. */
export type DatasetColumn = Float64Array | (string | null)[];

/** The requested columns of one dataset (see `functions/datasets/`), and what was wrong with them. */
export interface Dataset {
  /** Where it was read from (`s3://bucket/key` or a file path), for messages. */
  source: string;
  rows: number;
  /** The requested columns the file has. */
  columns: Record<string, DatasetColumn>;
  /** Requested columns the file does not have (not an exception: data quality fails them by name). */
  absentColumns: string[];
  /** Per numeric column: non-missing values that are not numbers (stored as NaN beside the missing ones). */
  typeViolations: Record<string, number>;
  /** One readable line per problem: absent columns, type violations with the first offending line. */
  problems: string[];
}

/** What a finding checked. */
export type QualityCheck =
  | 'row-count'
  | 'reference-column'
  | 'column-present'
  | 'type'
  | 'missing-rate'
  | 'out-of-range-rate'
  | 'unseen-rate';

/** One check of one feature (or of the whole window for `row-count`). */
export interface QualityFinding {
  feature?: string;
  check: QualityCheck;
  observed: number;
  /** Limit of `observed`: a minimum for `row-count`, `reference-column` and `column-present`, a maximum otherwise. */
  threshold: number;
  passed: boolean;
  message: string;
}

/** Every check made, and whether all of them passed. */
export interface QualityReport {
  /** `insufficient-data` when the window has fewer rows than `minRows`: only the structural checks ran. */
  status: 'ok' | 'insufficient-data';
  passed: boolean;
  rows: number;
  findings: QualityFinding[];
}

/** The parts of the monitoring policy the checks read. */
export type QualityPolicy = Pick<MonitoringPolicy, 'features' | 'minRows' | 'quality'>;

function percent(share: number): string {
  const value = share * 100;
  return `${Number.isInteger(value) ? value : value.toFixed(value < 1 ? 2 : 1)}%`;
}

/** A column as numbers; @throws TypeError when it was read as labels (the reader got another type). */
export function numericColumn(dataset: Dataset, name: string): Float64Array | undefined {
  const column = dataset.columns[name];
  if (column === undefined || column instanceof Float64Array) return column;
  throw new TypeError(`column "${name}" of ${dataset.source} was read as labels, not numbers`);
}

/** A column as labels; @throws TypeError when it was read as numbers. */
export function labelColumn(dataset: Dataset, name: string): (string | null)[] | undefined {
  const column = dataset.columns[name];
  if (column === undefined || Array.isArray(column)) return column;
  throw new TypeError(`column "${name}" of ${dataset.source} was read as numbers, not labels`);
}

/** Smallest and largest finite value, and how many there are. */
function finiteRange(values: Float64Array): { min: number; max: number; count: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v - v !== 0) continue;
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, count };
}

function maxRate(
  feature: string,
  check: QualityCheck,
  count: number,
  total: number,
  threshold: number,
  what: string,
): QualityFinding {
  const observed = total === 0 ? 0 : count / total;
  const passed = observed <= threshold;
  return {
    feature,
    check,
    observed,
    threshold,
    passed,
    message: `${count} of ${total} ${what} (${percent(observed)}; limit ${percent(threshold)})`,
  };
}

function numericFindings(
  policy: QualityPolicy,
  name: string,
  reference: Dataset,
  current: Dataset,
): QualityFinding[] {
  const ref = numericColumn(reference, name) as Float64Array;
  const cur = numericColumn(current, name) as Float64Array;
  const range = finiteRange(ref);
  if (range.count === 0) {
    return [
      {
        feature: name,
        check: 'reference-column',
        observed: 0,
        threshold: 1,
        passed: false,
        message: `column "${name}" of the reference ${reference.source} has no numeric value`,
      },
    ];
  }
  const violations = current.typeViolations[name] ?? 0;
  let nan = 0;
  let outside = 0;
  for (let i = 0; i < cur.length; i++) {
    const v = cur[i] as number;
    if (Number.isNaN(v)) nan++;
    else if (v < range.min || v > range.max) outside++;
  }
  const present = cur.length - nan;
  return [
    {
      feature: name,
      check: 'type',
      observed: current.rows === 0 ? 0 : violations / current.rows,
      threshold: 0,
      passed: violations === 0,
      message:
        violations === 0
          ? 'every value is a number or missing'
          : `${violations} of ${current.rows} values are not numbers (${percent(violations / current.rows)}; none allowed)`,
    },
    maxRate(
      name,
      'missing-rate',
      nan - violations,
      current.rows,
      policy.quality.maxMissingRate,
      'values are missing',
    ),
    maxRate(
      name,
      'out-of-range-rate',
      outside,
      present,
      policy.quality.maxOutOfRangeRate,
      `values are outside the reference range [${range.min}, ${range.max}]`,
    ),
  ];
}

function labelFindings(
  policy: QualityPolicy,
  name: string,
  reference: Dataset,
  current: Dataset,
): QualityFinding[] {
  const ref = labelColumn(reference, name) as (string | null)[];
  const cur = labelColumn(current, name) as (string | null)[];
  const known = new Set<string>();
  for (const value of ref) if (value !== null) known.add(value);
  if (known.size === 0) {
    return [
      {
        feature: name,
        check: 'reference-column',
        observed: 0,
        threshold: 1,
        passed: false,
        message: `column "${name}" of the reference ${reference.source} has no value`,
      },
    ];
  }
  let missing = 0;
  let unseen = 0;
  const examples = new Set<string>();
  for (const value of cur) {
    if (value === null) missing++;
    else if (!known.has(value)) {
      unseen++;
      if (examples.size < 3) examples.add(value);
    }
  }
  const listed =
    examples.size === 0 ? '' : ` (e.g. ${[...examples].map((e) => JSON.stringify(e)).join(', ')})`;
  const unseenFinding = maxRate(
    name,
    'unseen-rate',
    unseen,
    cur.length - missing,
    policy.quality.maxUnseenRate,
    'values are categories the reference never had',
  );
  unseenFinding.message += listed;
  return [
    maxRate(name, 'missing-rate', missing, current.rows, policy.quality.maxMissingRate, 'values are missing'),
    unseenFinding,
  ];
}

/**
 * Checks the current window against the reference and the policy's `quality` limits:
 *
 * | check               | observed                                               | passes when      |
 * | ------------------- | ------------------------------------------------------ | ---------------- |
 * | `row-count`         | rows of the window                                     | >= `minRows`     |
 * | `reference-column`  | the reference has the column with a usable value (1/0) | = 1              |
 * | `column-present`    | the window has the column (1/0; reported when absent)  | = 1              |
 * | `type`              | share of rows whose value is not a number (numeric)    | = 0              |
 * | `missing-rate`      | share of rows with no value                            | <= maxMissingRate |
 * | `out-of-range-rate` | share of present numbers outside the reference [min, max] | <= maxOutOfRangeRate |
 * | `unseen-rate`       | share of present labels the reference never had        | <= maxUnseenRate |
 *
 * Below `minRows` the window is `insufficient-data`: only the row count and the columns are checked (rates
 * on a handful of rows are noise), and the report does not pass.
 */
export function checkQuality(policy: QualityPolicy, reference: Dataset, current: Dataset): QualityReport {
  const findings = [rowCountFinding(policy, current)];
  for (const feature of policy.features)
    findings.push(...featureFindings(policy, feature, reference, current));
  return qualityReport(policy, current, findings);
}

/** The window's `row-count` finding, the first of every report. */
export function rowCountFinding(policy: QualityPolicy, current: Pick<Dataset, 'rows'>): QualityFinding {
  return {
    check: 'row-count',
    observed: current.rows,
    threshold: policy.minRows,
    passed: current.rows >= policy.minRows,
    message: `${current.rows} rows in the window (at least ${policy.minRows} needed)`,
  };
}

/**
 * The findings of one feature (see {@link checkQuality}); the datasets need to hold only that feature's column,
 * so a large dataset can be checked one column at a time.
 */
export function featureFindings(
  policy: QualityPolicy,
  feature: QualityPolicy['features'][number],
  reference: Dataset,
  current: Dataset,
): QualityFinding[] {
  const { name } = feature;
  if (reference.columns[name] === undefined) {
    return [
      {
        feature: name,
        check: 'reference-column',
        observed: 0,
        threshold: 1,
        passed: false,
        message: `column "${name}" is missing from the reference ${reference.source}`,
      },
    ];
  }
  if (current.columns[name] === undefined) {
    return [
      {
        feature: name,
        check: 'column-present',
        observed: 0,
        threshold: 1,
        passed: false,
        message: `column "${name}" is missing from ${current.source}`,
      },
    ];
  }
  if (current.rows < policy.minRows) return [];
  return feature.type === 'numeric'
    ? numericFindings(policy, name, reference, current)
    : labelFindings(policy, name, reference, current);
}

/** The report of a window from its findings (the row count first). */
export function qualityReport(
  policy: QualityPolicy,
  current: Pick<Dataset, 'rows'>,
  findings: QualityFinding[],
): QualityReport {
  return {
    status: current.rows < policy.minRows ? 'insufficient-data' : 'ok',
    passed: findings.every((finding) => finding.passed),
    rows: current.rows,
    findings,
  };
}
