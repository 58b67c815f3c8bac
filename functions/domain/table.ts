import { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';

/** A dense numeric table: `values[row * columns.length + col]`. */
export interface NumericTable {
  columns: string[];
  rows: number;
  /** Row-major, `rows * columns.length` values. */
  values: Float64Array;
  /** Where the data came from (file name or object key), for error messages. */
  source?: string;
  /** 1-based file line of each row, so later checks (labels) can point at the line. */
  lines?: Int32Array;
}

/** How many problems one error message lists; the rest are only counted. */
export const MAX_LISTED_PROBLEMS = 10;

/** Bad input data: missing columns, unparsable cells, bad labels. `problems` holds the first few, one per line. */
export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(
    message: string,
    readonly problems: string[],
    /** All problems found, including those not listed in `problems`. */
    readonly totalProblems: number = problems.length,
  ) {
    super(message);
  }
}

/** Collects problems, keeping the first {@link MAX_LISTED_PROBLEMS} and counting the rest. */
export class ProblemList {
  readonly listed: string[] = [];
  total = 0;

  add(problem: string): void {
    this.total += 1;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push(problem);
  }

  /** Throws a {@link DataError} summarising the problems, if there are any. */
  throwIfAny(source: string): void {
    if (this.total === 0) return;
    if (this.total === 1) throw new DataError(this.listed[0] ?? source, this.listed);
    const rest = this.total - this.listed.length;
    const more = rest > 0 ? `\n  ... and ${rest} more` : '';
    throw new DataError(
      `${source}: ${this.total} problems:\n  ${this.listed.join('\n  ')}${more}`,
      this.listed,
      this.total,
    );
  }
}

// Plain decimal or scientific notation only: Number() would also accept '0x10', '0b1', 'Infinity' and ''.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a trimmed cell as a finite decimal number, or returns `undefined`. */
export function parseFiniteNumber(cell: string): number | undefined {
  if (!DECIMAL.test(cell)) return undefined;
  const value = Number(cell);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Reads the requested numeric columns of a CSV with a header row into a {@link NumericTable}, in the
 * order given. Other columns may hold anything. Blank lines are skipped; line numbers in errors are file
 * lines (header = line 1; a quoted multi-line record is reported at its last line).
 * Throws {@link DataError} for a missing column, a cell that is not a finite number, a ragged row or no
 * data rows.
 */
export function parseNumericTable(
  csvText: string,
  columns: string[],
  options: { source?: string } = {},
): NumericTable {
  const source = options.source ?? 'csv';
  if (new Set(columns).size !== columns.length)
    throw new RangeError(`columns listed twice: ${columns.join(', ')}`);

  const lines: number[] = [];
  let records: string[][];
  try {
    records = parse(csvText, {
      bom: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: false,
      on_record: (record: string[], context: { lines: number }) => {
        lines.push(context.lines);
        return record;
      },
    });
  } catch (error) {
    if (error instanceof CsvError) {
      const problem = `${source}:${error.lines}: ${error.message}`;
      throw new DataError(problem, [problem]);
    }
    throw error;
  }

  const header = records[0];
  if (header === undefined) throw new DataError(`${source}: empty file, no header row`, ['no header row']);
  const indexes = columns.map((name) => header.indexOf(name));
  const missing = columns.filter((_, i) => indexes[i] === -1);
  if (missing.length > 0) {
    const names = missing.map((name) => `"${name}"`).join(', ');
    const problem = `${source}: missing column${missing.length > 1 ? 's' : ''} ${names} (header: ${header.join(', ')})`;
    throw new DataError(problem, [problem]);
  }
  const duplicated = columns.filter((name) => header.indexOf(name) !== header.lastIndexOf(name));
  if (duplicated.length > 0) {
    const names = duplicated.map((name) => `"${name}"`).join(', ');
    const problem = `${source}: ${duplicated.length > 1 ? `columns ${names} appear` : `column ${names} appears`} more than once in the header`;
    throw new DataError(problem, [problem]);
  }

  const rows = records.length - 1;
  if (rows === 0) throw new DataError(`${source}: no data rows`, ['no data rows']);
  const width = columns.length;
  const values = new Float64Array(rows * width);
  const rowLines = Int32Array.from(lines.slice(1));
  const problems = new ProblemList();
  for (let row = 0; row < rows; row++) {
    const record = records[row + 1] as string[];
    for (let col = 0; col < width; col++) {
      const cell = record[indexes[col] as number] as string;
      const value = parseFiniteNumber(cell);
      if (value === undefined) {
        problems.add(
          `${source}:${rowLines[row]}: column "${columns[col]}": "${cell}" is not a finite number`,
        );
      } else {
        values[row * width + col] = value;
      }
    }
  }
  problems.throwIfAny(source);
  return { columns: [...columns], rows, values, source, lines: rowLines };
}

/** Index of each named column; throws {@link DataError} naming the missing ones and what needed them. */
export function columnIndexes(table: NumericTable, names: string[], purpose = 'column'): number[] {
  const indexes = names.map((name) => table.columns.indexOf(name));
  const missing = names.filter((_, i) => indexes[i] === -1);
  if (missing.length > 0) {
    const problem = `${table.source ?? 'table'}: missing ${purpose}${missing.length > 1 ? 's' : ''} ${missing
      .map((name) => `"${name}"`)
      .join(', ')} (columns: ${table.columns.join(', ')})`;
    throw new DataError(problem, [problem]);
  }
  return indexes;
}

/** A copy of one column's values. */
export function column(table: NumericTable, name: string): Float64Array {
  const [index] = columnIndexes(table, [name]) as [number];
  const width = table.columns.length;
  const out = new Float64Array(table.rows);
  for (let row = 0; row < table.rows; row++) out[row] = table.values[row * width + index] as number;
  return out;
}

/** The 1-based file line of a row, for messages (header = line 1 when the table has no line map). */
export function rowLine(table: NumericTable, row: number): number {
  return table.lines?.[row] ?? row + 2;
}
