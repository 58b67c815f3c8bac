/** Column types inferred from a dataset read without types (every column as labels), and re-typing it. */
import { DatasetError } from '#contracts/errors.ts';
import type { ColumnType, Dataset } from '#domain/quality.ts';
import {
  assertUniqueSpecs,
  builderFor,
  type ColumnBuilder,
  type ColumnSpec,
  finishDataset,
} from './columns.ts';
import { parseNumber } from './values.ts';

/**
 * The type of a label column read without a type: `numeric` when every non-missing value parses as a
 * number, else `binary` with at most 2 distinct values, else `categorical` (all missing: `categorical`).
 */
export function inferColumnType(values: readonly (string | null)[]): ColumnType {
  let numeric = true;
  let present = 0;
  const distinct = new Set<string>();
  for (const value of values) {
    if (value === null) continue;
    present++;
    if (numeric && parseNumber(value) === undefined) numeric = false;
    if (distinct.size <= 2) distinct.add(value);
    if (!numeric && distinct.size > 2) return 'categorical';
  }
  if (numeric && present > 0) return 'numeric';
  return present > 0 && distinct.size <= 2 ? 'binary' : 'categorical';
}

/**
 * Column specs inferred from a dataset read without types (every column as labels), for `names` (default:
 * every column, in file order). @throws DatasetError naming a column the dataset does not have.
 */
export function inferColumns(dataset: Dataset, names?: readonly string[]): ColumnSpec[] {
  const available = Object.keys(dataset.columns);
  return (names ?? available).map((name) => {
    const column = dataset.columns[name];
    if (column === undefined) {
      throw new DatasetError(
        `unknown column "${name}": ${dataset.source} has ${available.map((c) => `"${c}"`).join(', ')}`,
      );
    }
    return { name, type: Array.isArray(column) ? inferColumnType(column) : 'numeric' };
  });
}

/**
 * Re-types a dataset read as labels: keeps `specs`' columns, numeric ones parsed to numbers (values that are
 * not numbers count as type violations, named by row).
 */
export function withColumnTypes(dataset: Dataset, specs: readonly ColumnSpec[]): Dataset {
  assertUniqueSpecs(specs);
  const builders = new Map<string, ColumnBuilder>();
  for (const spec of specs) {
    const column = dataset.columns[spec.name];
    if (column === undefined) continue;
    const builder = builderFor(spec.type, dataset.rows, true);
    builder.putChunk(0, column, dataset.rows);
    builders.set(spec.name, builder);
  }
  return finishDataset(dataset.source, dataset.rows, specs, builders);
}
