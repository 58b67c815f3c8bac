import { DataError } from '#contracts/errors.ts';
/**
 * Dense numeric tables (the trainer's input) and the data errors about them. Reading one from CSV:
 * `parseNumericTable` of `#datasets/index.ts`.
 */

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
