/** Dense numeric tables (the trainer's and the evaluator's input) read from CSV with the one CSV reader. */

import { CsvError } from 'csv-parse';
import { DataError } from '#contracts/errors.ts';

import { type NumericTable, ProblemList } from '#domain/table.ts';
import { readCsvRecords } from './csv.ts';

import type { DatasetInput } from './input.ts';
import { parseFiniteNumber } from './values.ts';

/** Rows allocated up front; the table doubles as it fills. */
const INITIAL_ROWS = 1024;

/** Why a header cannot give the requested columns, or undefined when it can. */
export function headerProblem(
  header: readonly string[],
  columns: readonly string[],
  source: string,
): string | undefined {
  const missing = columns.filter((name) => !header.includes(name));
  if (missing.length > 0) {
    const names = missing.map((name) => `"${name}"`).join(', ');
    return `${source}: missing column${missing.length > 1 ? 's' : ''} ${names} (header: ${header.join(', ')})`;
  }
  const duplicated = columns.filter((name) => header.indexOf(name) !== header.lastIndexOf(name));
  if (duplicated.length > 0) {
    const names = duplicated.map((name) => `"${name}"`).join(', ');
    return `${source}: ${duplicated.length > 1 ? `columns ${names} appear` : `column ${names} appears`} more than once in the header`;
  }
  return undefined;
}

/**
 * Reads the requested numeric columns of a CSV with a header row into a {@link NumericTable}, in the
 * order given. Other columns may hold anything. Blank lines are skipped; line numbers in errors are file
 * lines (header = line 1; a quoted multi-line record is reported at its last line).
 * Rejects with {@link DataError} for a malformed file, a missing column, a cell that is not a finite number,
 * a ragged row or no data rows; with RangeError when a column is requested twice.
 */
export async function parseNumericTable(
  csv: DatasetInput,
  columns: string[],
  options: { source?: string } = {},
): Promise<NumericTable> {
  const source = options.source ?? 'csv';
  if (new Set(columns).size !== columns.length)
    throw new RangeError(`columns listed twice: ${columns.join(', ')}`);

  const width = columns.length;
  let header: string[] | undefined;
  let indexes: number[] = [];
  // Cells are only read once the header is known to hold every requested column once.
  let readable = false;
  let rows = 0;
  let values = new Float64Array(INITIAL_ROWS * width);
  let lines = new Int32Array(INITIAL_ROWS);
  const problems = new ProblemList();
  try {
    await readCsvRecords(csv, (record, line) => {
      if (header === undefined) {
        header = record;
        indexes = columns.map((name) => record.indexOf(name));
        readable = headerProblem(record, columns, source) === undefined;
        return;
      }
      if (rows === lines.length) {
        const grownLines = new Int32Array(lines.length * 2);
        grownLines.set(lines);
        lines = grownLines;
        const grownValues = new Float64Array(lines.length * width);
        grownValues.set(values);
        values = grownValues;
      }
      lines[rows] = line;
      if (readable) {
        for (let col = 0; col < width; col++) {
          const cell = record[indexes[col] as number] as string;
          const value = parseFiniteNumber(cell);
          if (value === undefined) {
            problems.add(`${source}:${line}: column "${columns[col]}": "${cell}" is not a finite number`);
          } else {
            values[rows * width + col] = value;
          }
        }
      }
      rows++;
    });
  } catch (error) {
    if (error instanceof CsvError) {
      const problem = `${source}:${error.lines}: ${error.message}`;
      throw new DataError(problem, [problem]);
    }
    throw error;
  }

  if (header === undefined) throw new DataError(`${source}: empty file, no header row`, ['no header row']);
  const problem = headerProblem(header, columns, source);
  if (problem !== undefined) throw new DataError(problem, [problem]);
  if (rows === 0) throw new DataError(`${source}: no data rows`, ['no data rows']);
  problems.throwIfAny(source);
  return {
    columns: [...columns],
    rows,
    values: values.length === rows * width ? values : values.slice(0, rows * width),
    source,
    lines: lines.length === rows ? lines : lines.slice(0, rows),
  };
}
