import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DatasetError, EmptyDatasetError } from '#contracts/errors.ts';
import type { ColumnSpec, Dataset } from '#datasets/index.ts';
import type { FeatureResult, MonitoringResult } from '#domain/monitoring.ts';
import { MonitoringSchema } from '#domain/policy.ts';
import type { Fail, Io } from '../io.ts';
import { table } from '../render.ts';

interface DriftOptions {
  reference: string;
  current: string;
  features?: string;
  minRows: string;
  json?: boolean;
}

/** A bad input of `kaizen drift`: reported as one line, exit code 2. */
class DriftInputProblem extends Error {}

const DEFAULT_MIN_ROWS = MonitoringSchema.shape.minRows.parse(undefined);

/** The dataset readers and the drift engine, loaded on demand: only this command needs them. */
type Engine = typeof import('#domain/monitoring.ts') & typeof import('#datasets/index.ts');

async function loadEngine(): Promise<Engine> {
  const [monitoring, datasets] = await Promise.all([
    import('#domain/monitoring.ts'),
    import('#datasets/index.ts'),
  ]);
  return { ...monitoring, ...datasets };
}

async function load(
  { datasetFormat, parseDataset }: Engine,
  path: string,
  option: string,
  columns?: readonly ColumnSpec[],
): Promise<Dataset> {
  const format = datasetFormat(path);
  const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new DriftInputProblem(
      `${option} ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
    );
  });
  return parseDataset(bytes, format, columns, path);
}

function featureNames(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new DriftInputProblem('--features names no column');
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new DriftInputProblem(`--features names "${duplicate}" twice`);
  return names;
}

function minRows(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new DriftInputProblem(`--min-rows must be a positive integer, got "${text}"`);
  }
  return value;
}

/** 4 significant digits; tiny p-values in exponent form. */
function formatNumber(value: number | undefined | null): string {
  if (value === undefined || value === null) return '-';
  if (value === 0 || !Number.isFinite(value)) return String(value);
  if (Math.abs(value) < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(1))}%`;
}

function drifted(feature: FeatureResult): string {
  if (feature.status === 'insufficient-data') return 'no data';
  if (feature.status === 'error') return 'error';
  return feature.drifted ? 'yes' : 'no';
}

function printResult(io: Io, result: MonitoringResult): void {
  io.out(
    table(
      ['FEATURE', 'TYPE', 'METHOD', 'SCORE', 'P-VALUE', 'THRESHOLD', 'DRIFTED', 'SEVERITY'],
      result.features.map((feature) => [
        feature.feature,
        feature.type,
        feature.method,
        formatNumber(feature.statistic ?? (feature.test === 'distance' ? feature.value : undefined)),
        formatNumber(feature.pValue),
        formatNumber(feature.threshold),
        drifted(feature),
        feature.severity,
      ]),
    ),
  );
  for (const feature of result.features)
    if (feature.reason) io.out(`  ${feature.feature}: ${feature.reason}`);

  const { quality } = result;
  const failed = quality.findings.filter((finding) => !finding.passed);
  io.out(
    `\nData quality: ${quality.passed ? 'passed' : 'failed'} (${failed.length} of ${quality.findings.length} checks failed)`,
  );
  for (const finding of failed) {
    io.out(`  ! ${finding.feature ? `${finding.feature} ` : ''}${finding.check}: ${finding.message}`);
  }

  const { dataset } = result;
  if (result.status === 'insufficient-data') {
    io.out(`\nDataset drift: not judged, insufficient data (${result.rows} rows in the current window)`);
    return;
  }
  io.out(
    `\nDataset drift: ${dataset.drifted} of ${dataset.total} features drifted (${percent(dataset.share)}; ` +
      `threshold ${percent(dataset.threshold)}): ${dataset.drift ? 'DRIFT' : 'no drift'}`,
  );
}

/**
 * Registers `kaizen drift`: compares a current dataset file with a reference file (CSV, JSON Lines or
 * Parquet; no stack needed) and prints drift per feature, the data-quality findings and the dataset drift
 * share (or, with `--json`, the `computeMonitoring` result). Feature types are inferred from the reference.
 * Drift and failed quality checks are information: the exit code stays 0. Bad input (a missing or
 * malformed file, an unknown feature, an empty current window) is reported on stderr and calls `fail()`.
 */
export function registerDriftCommand(program: Command, io: Io, fail: Fail): void {
  program
    .command('drift')
    .description(
      'compare a current dataset with a reference: drift per feature, data quality, dataset drift share ' +
        '(local .csv/.jsonl/.ndjson/.parquet files; exit 0 whatever the verdict, 2 on bad input)',
    )
    .requiredOption('--reference <file>', 'reference dataset')
    .requiredOption('--current <file>', 'current window dataset')
    .option('--features <a,b>', 'columns to compare (default: every column of the reference)')
    .option(
      '--min-rows <n>',
      'fewer rows in the current window or the reference means insufficient data',
      String(DEFAULT_MIN_ROWS),
    )
    .option('--json', 'print the monitoring result as JSON')
    .action(async (options: DriftOptions, command: Command) => {
      const json = options.json === true || command.optsWithGlobals<{ json?: boolean }>().json === true;
      const engine = await loadEngine();
      const { computeMonitoring, inferColumns, withColumnTypes } = engine;
      let result: MonitoringResult;
      try {
        const names = featureNames(options.features);
        const rows = minRows(options.minRows);
        const untyped = await load(engine, options.reference, '--reference');
        const unknown = names?.find((name) => untyped.columns[name] === undefined);
        if (unknown !== undefined) {
          const available = Object.keys(untyped.columns).join(', ');
          throw new DriftInputProblem(
            `--features: unknown feature "${unknown}"; the reference ${options.reference} has columns ${available}`,
          );
        }
        const columns = inferColumns(untyped, names);
        if (columns.length === 0)
          throw new DriftInputProblem(`--reference ${options.reference}: the file has no columns to compare`);
        const reference = withColumnTypes(untyped, columns);
        const current = await load(engine, options.current, '--current', columns);
        // Local files, not bucket keys: the engine only needs the features and limits of a monitoring section.
        const policy = MonitoringSchema.parse({
          reference: 'local/reference',
          current: 'local/current',
          features: columns.map(({ name, type }) => ({ name, type })),
          minRows: rows,
        });
        result = computeMonitoring(policy, reference, current);
      } catch (error) {
        if (
          error instanceof DriftInputProblem ||
          error instanceof DatasetError ||
          error instanceof EmptyDatasetError
        ) {
          io.err(`kaizen drift: ${error.message}`);
          fail(2);
          return;
        }
        throw error;
      }
      if (json) io.out(JSON.stringify(result));
      else printResult(io, result);
    });
}
