import { createReadStream } from 'node:fs';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DataError, DatasetError, EmptyDatasetError } from '#contracts/errors.ts';
import type { Scores } from '#domain/metrics.ts';
import { column, type NumericTable } from '#domain/table.ts';
import type { LogisticModel } from '#domain/trainer.ts';
import { type Fail, type Io, UsageError } from '../io.ts';
import { positiveInteger } from '../options.ts';
import { table as renderTable } from '../render.ts';

interface TrainOptions {
  data: string;
  label: string;
  features?: string;
  l2: string;
  maxIterations?: string;
  out?: string;
  json?: boolean;
}

/** What `kaizen train` reports (and prints with `--json`). */
export interface TrainReport {
  data: string;
  rows: number;
  label: string;
  features: string[];
  l2: number;
  iterations: number;
  /** Seconds to read the file and to train. */
  readSeconds: number;
  trainSeconds: number;
  /** Metrics of the model on its training data. */
  training: Scores;
  /** The objective at the result (mean log-loss + l2/2 |w|^2) and its largest partial derivative. */
  objective: number;
  gradient: number;
  out?: string;
  model: LogisticModel;
}

/** The default l2 of the policy's `training.params`. */
const DEFAULT_L2 = 0.001;
/** How much of a CSV is read to find its numeric columns when `--features` is not given. */
const SNIFF_BYTES = 1 << 20;

/** The dataset readers, the trainer and the metrics, loaded on demand: only this command needs them. */
type Engine = typeof import('#datasets/index.ts') &
  typeof import('#domain/trainer.ts') &
  typeof import('#domain/metrics.ts') &
  typeof import('../../functions/train/data.ts');

async function loadEngine(): Promise<Engine> {
  const [datasets, trainer, metrics, data] = await Promise.all([
    import('#datasets/index.ts'),
    import('#domain/trainer.ts'),
    import('#domain/metrics.ts'),
    import('../../functions/train/data.ts'),
  ]);
  return { ...datasets, ...trainer, ...metrics, ...data };
}

function names(option: string, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const list = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (list.length === 0) throw new UsageError(`${option} names no column`);
  const duplicate = list.find((name, index) => list.indexOf(name) !== index);
  if (duplicate !== undefined) throw new UsageError(`${option} names "${duplicate}" twice`);
  return list;
}

function l2Of(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new UsageError(`--l2 must be a non-negative number, got "${text}"`);
  return value;
}

function fileProblem(path: string, error: NodeJS.ErrnoException): UsageError {
  return new UsageError(`--data ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
}

/** The chunks of a file, counting bytes and line breaks (for the table's expected size). */
async function* counted(
  chunks: AsyncIterable<Buffer>,
  read: { bytes: number; newlines: number },
): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    read.bytes += chunk.byteLength;
    for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) read.newlines++;
    yield chunk;
  }
}

/** The numeric columns of a CSV's first rows (the header and up to {@link SNIFF_BYTES}). */
async function csvNumericColumns(engine: Engine, path: string): Promise<string[]> {
  const handle = await open(path, 'r').catch((error) => {
    throw fileProblem(path, error);
  });
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    let text = buffer.subarray(0, bytesRead).toString('utf8');
    // A partial last row would be read as a short record: cut the sample at its last complete line.
    if (bytesRead === SNIFF_BYTES) text = text.slice(0, text.lastIndexOf('\n') + 1);
    const sample = await engine.parseCsv(text, undefined, path);
    return engine
      .inferColumns(sample)
      .filter((spec) => spec.type === 'numeric')
      .map((spec) => spec.name);
  } finally {
    await handle.close();
  }
}

/** Reads the label and features of a local CSV, JSON Lines or Parquet file as a numeric table. */
async function readTable(
  engine: Engine,
  path: string,
  label: string,
  chosen: string[] | undefined,
): Promise<{ table: NumericTable; features: string[] }> {
  const format = engine.datasetFormat(path);
  if (format === 'csv') {
    const features = chosen ?? (await csvNumericColumns(engine, path)).filter((name) => name !== label);
    if (features.length === 0) throw new UsageError(`--data ${path}: no numeric column besides "${label}"`);
    const size = (
      await stat(path).catch((error) => {
        throw fileProblem(path, error);
      })
    ).size;
    const read = { bytes: 0, newlines: 0 };
    const table = await engine.readNumericCsv(counted(createReadStream(path), read), [...features, label], {
      source: path,
      label,
      expectedRows: () => (read.bytes > 0 ? (size * read.newlines) / read.bytes : undefined),
    });
    return { table, features };
  }
  const bytes = await readFile(path).catch((error) => {
    throw fileProblem(path, error);
  });
  const untyped = await engine.parseDataset(bytes, format, undefined, path);
  const available = Object.keys(untyped.columns);
  const missing = [...(chosen ?? []), label].filter((name) => !available.includes(name));
  if (missing.length > 0) {
    throw new UsageError(
      `--data ${path}: no column ${missing.map((name) => `"${name}"`).join(', ')} (columns: ${available.join(', ')})`,
    );
  }
  const features =
    chosen ??
    engine
      .inferColumns(untyped)
      .filter((spec) => spec.type === 'numeric' && spec.name !== label)
      .map((spec) => spec.name);
  if (features.length === 0) throw new UsageError(`--data ${path}: no numeric column besides "${label}"`);
  const columns = [...features, label];
  const typed = engine.withColumnTypes(
    untyped,
    columns.map((name) => ({ name, type: 'numeric' as const })),
  );
  if (typed.problems.length > 0) throw new UsageError(`--data ${path}: ${typed.problems.join('; ')}`);
  const width = columns.length;
  const values = new Float64Array(typed.rows * width);
  const problems: string[] = [];
  columns.forEach((name, col) => {
    const column = typed.columns[name] as Float64Array;
    for (let row = 0; row < typed.rows; row++) {
      const value = column[row] as number;
      if (!Number.isFinite(value)) problems.push(`row ${row + 1}: column "${name}" has no number`);
      else if (name === label && value !== 0 && value !== 1)
        problems.push(`row ${row + 1}: label "${label}" is ${value}, expected 0 or 1`);
      values[row * width + col] = value;
    }
  });
  if (problems.length > 0) {
    const more = problems.length > 10 ? ` ... and ${problems.length - 10} more` : '';
    throw new UsageError(`--data ${path}: ${problems.slice(0, 10).join('; ')}${more}`);
  }
  if (typed.rows === 0) throw new UsageError(`--data ${path}: no data rows`);
  return { table: { columns, rows: typed.rows, values, source: path }, features };
}

function printReport(io: Io, report: TrainReport): void {
  io.out(
    `Trained logistic regression on ${report.data}: ${report.rows.toLocaleString('en')} rows, ` +
      `${report.features.length} features, l2 ${report.l2}: ${report.iterations} iterations in ` +
      `${report.trainSeconds.toFixed(3)} s (read in ${report.readSeconds.toFixed(3)} s)`,
  );
  io.out(`Features: ${report.features.join(', ')}`);
  io.out(
    renderTable(
      ['METRIC', 'TRAINING'],
      (['auc', 'logloss', 'accuracy'] as const).map((metric) => [metric, report.training[metric].toFixed(6)]),
    ),
  );
  if (report.out) io.out(`Model written to ${report.out}`);
}

/**
 * Registers `kaizen train`: trains the built-in model (L2-regularised logistic regression, Newton's method)
 * on a local CSV, JSON Lines or Parquet file, no stack needed, and prints the rows, features, iterations,
 * time and training AUC, log-loss and accuracy (`--json`: the whole report with the model); `--out` writes
 * the model artifact as the Train step does. Bad input (a missing file, a bad cell, a label other than 0/1,
 * training that does not converge) is a UsageError naming the file, line and column: exit 2.
 */
export function registerTrainCommand(program: Command, io: Io, _fail: Fail): void {
  program
    .command('train')
    .description(
      'train the built-in model on a local file and print its training metrics (local .csv/.jsonl/.ndjson/.parquet; exit 2 on bad input)',
    )
    .requiredOption('--data <file>', 'training data')
    .requiredOption('--label <column>', '0/1 label column')
    .option('--features <a,b>', 'feature columns (default: every other numeric column)')
    .option('--l2 <x>', 'L2 penalty on the weights', String(DEFAULT_L2))
    .option('--max-iterations <n>', 'most solver iterations (default 100)')
    .option('--out <model.json>', 'write the model artifact there')
    .option('--json', 'print the report as JSON')
    .action(async (options: TrainOptions, command: Command) => {
      const json = options.json === true || command.optsWithGlobals<{ json?: boolean }>().json === true;
      const chosen = names('--features', options.features);
      const l2 = l2Of(options.l2);
      const maxIterations =
        options.maxIterations === undefined
          ? undefined
          : positiveInteger('--max-iterations', options.maxIterations);
      if (chosen?.includes(options.label))
        throw new UsageError(`--features names the label "${options.label}"`);
      const engine = await loadEngine();
      let report: TrainReport;
      try {
        const readStart = performance.now();
        const { table, features } = await readTable(engine, options.data, options.label, chosen);
        const trainStart = performance.now();
        const result = engine.fitLogisticRegression(table, features, options.label, { l2, maxIterations });
        const trainSeconds = (performance.now() - trainStart) / 1000;
        const training = engine.scoreAll(
          column(table, options.label),
          engine.predictTable(result.model, table),
        );
        report = {
          data: options.data,
          rows: table.rows,
          label: options.label,
          features,
          l2,
          iterations: result.iterations,
          readSeconds: (trainStart - readStart) / 1000,
          trainSeconds,
          training,
          objective: result.objective,
          gradient: result.gradient,
          ...(options.out ? { out: options.out } : {}),
          model: result.model,
        };
      } catch (error) {
        if (
          error instanceof DataError ||
          error instanceof DatasetError ||
          error instanceof EmptyDatasetError
        ) {
          throw new UsageError(error.message);
        }
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw fileProblem(options.data, error as NodeJS.ErrnoException);
        }
        throw error;
      }
      if (options.out) {
        await writeFile(options.out, `${JSON.stringify(report.model)}\n`).catch((error: Error) => {
          throw new UsageError(`--out ${options.out}: ${error.message}`);
        });
      }
      if (json) io.out(JSON.stringify(report));
      else printReport(io, report);
    });
}
