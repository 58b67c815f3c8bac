/**
 * Columnar building blocks of every reader: the column specs asked for, the builders that collect one column
 * (numeric -> Float64Array with NaN for missing; categorical/binary -> strings with null for missing), and the
 * assembly of a {@link Dataset} whose absent columns and type violations are named problems.
 */

import type { DecodedArray } from 'hyparquet';
import { DatasetError } from '#contracts/errors.ts';
import type { ColumnType, Dataset, DatasetColumn } from '#domain/quality.ts';
import { toCategory, toNumber } from './values.ts';

/** A column to read; `MonitoredFeature` of the policy fits. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

/** Collects one column; rows never written stay missing. `line` < 0 means "no line, name the row". */
export interface ColumnBuilder {
  put(row: number, value: unknown, line: number): void;
  putChunk(rowStart: number, data: DecodedArray, limit: number): void;
  finish(rows: number): DatasetColumn;
  violation(): string | undefined;
  readonly violations: number;
}

function where(row: number, line: number): string {
  return line >= 0 ? `line ${line}` : `row ${row + 1}`;
}

/** NaN from `from` on: a plain loop, several times faster than `Float64Array.prototype.fill(NaN)` in V8. */
function fillNaN(values: Float64Array, from: number): Float64Array {
  for (let i = from; i < values.length; i++) values[i] = Number.NaN;
  return values;
}

class NumericBuilder implements ColumnBuilder {
  private values: Float64Array;
  violations = 0;
  private first: string | undefined;

  /** `covered`: every row will be written (Parquet chunks), so nothing needs to start as missing. */
  constructor(capacity: number, covered = false) {
    this.values = covered ? new Float64Array(capacity) : fillNaN(new Float64Array(capacity), 0);
  }

  private grow(row: number): void {
    if (row < this.values.length) return;
    const next = new Float64Array(Math.max(row + 1, this.values.length * 2, 1024));
    next.set(this.values);
    this.values = fillNaN(next, this.values.length);
  }

  put(row: number, value: unknown, line: number): void {
    this.grow(row);
    const number = toNumber(value);
    if (number === undefined) {
      this.violations++;
      this.first ??= `${JSON.stringify(typeof value === 'string' ? value : String(value))} on ${where(row, line)}`;
      this.values[row] = Number.NaN;
    } else {
      this.values[row] = number;
    }
  }

  putChunk(rowStart: number, data: DecodedArray, limit: number): void {
    const count = Math.min(data.length, limit - rowStart);
    if (count <= 0) return;
    this.grow(rowStart + count - 1);
    // Typed numeric chunks (DOUBLE, FLOAT, INT32) copy in one call; BigInt and mixed arrays go value by value.
    if (!(data instanceof BigInt64Array || data instanceof BigUint64Array) && !Array.isArray(data)) {
      this.values.set(count === data.length ? data : data.subarray(0, count), rowStart);
      return;
    }
    for (let i = 0; i < count; i++) this.put(rowStart + i, data[i], -1);
  }

  finish(rows: number): Float64Array {
    return this.values.length === rows ? this.values : this.values.slice(0, rows);
  }

  violation(): string | undefined {
    return this.first;
  }
}

class CategoryBuilder implements ColumnBuilder {
  private values: (string | null)[];
  readonly violations = 0;

  constructor(capacity: number) {
    this.values = new Array<string | null>(capacity).fill(null);
  }

  put(row: number, value: unknown): void {
    while (this.values.length <= row) this.values.push(null);
    this.values[row] = toCategory(value);
  }

  putChunk(rowStart: number, data: DecodedArray, limit: number): void {
    const count = Math.min(data.length, limit - rowStart);
    for (let i = 0; i < count; i++) this.put(rowStart + i, data[i]);
  }

  finish(rows: number): (string | null)[] {
    if (this.values.length > rows) this.values.length = rows;
    while (this.values.length < rows) this.values.push(null);
    return this.values;
  }

  violation(): undefined {
    return undefined;
  }
}

/** A builder for a column of `type`; `covered`: every row will be written, so nothing starts as missing. */
export function builderFor(type: ColumnType, capacity: number, covered = false): ColumnBuilder {
  return type === 'numeric' ? new NumericBuilder(capacity, covered) : new CategoryBuilder(capacity);
}

/** Assembles the result: absent columns and type violations become named problems. */
export function finishDataset(
  source: string,
  rows: number,
  specs: readonly ColumnSpec[],
  builders: ReadonlyMap<string, ColumnBuilder>,
): Dataset {
  const dataset: Dataset = { source, rows, columns: {}, absentColumns: [], typeViolations: {}, problems: [] };
  for (const spec of specs) {
    const builder = builders.get(spec.name);
    if (!builder) {
      dataset.absentColumns.push(spec.name);
      dataset.problems.push(`column "${spec.name}" is missing from ${source}`);
      continue;
    }
    dataset.columns[spec.name] = builder.finish(rows);
    if (spec.type === 'numeric') {
      dataset.typeViolations[spec.name] = builder.violations;
      if (builder.violations > 0) {
        dataset.problems.push(
          `column "${spec.name}" of ${source}: ${builder.violations} ${builder.violations === 1 ? 'value is not a number' : 'values are not numbers'} (first: ${builder.violation()})`,
        );
      }
    }
  }
  return dataset;
}

/** @throws DatasetError when a column is requested twice. */
export function assertUniqueSpecs(specs: readonly ColumnSpec[]): void {
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) throw new DatasetError(`column "${spec.name}" is requested twice`);
    seen.add(spec.name);
  }
}
