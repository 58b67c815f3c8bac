/** The JSON Lines reader (`.jsonl`, `.ndjson`). */
import { DatasetError } from '#contracts/errors.ts';
import type { Dataset } from '#domain/quality.ts';
import {
  assertUniqueSpecs,
  builderFor,
  type ColumnBuilder,
  type ColumnSpec,
  finishDataset,
} from './columns.ts';
import type { BuilderFactory, ReadColumns } from './csv.ts';
import { type DatasetInput, textLines } from './input.ts';

/**
 * Reads JSON Lines (`.jsonl`, `.ndjson`): one object per line, blank lines skipped. A key absent from a
 * row is a missing value; a column no row has is absent. All keys are read, as labels, when `columns`
 * is omitted.
 * @throws DatasetError naming the source and line of a line that is not a JSON object.
 */
export async function parseJsonLines(
  input: DatasetInput,
  columns?: readonly ColumnSpec[],
  source = 'dataset',
): Promise<Dataset> {
  const { rows, specs, builders } = await readJsonLinesColumns(input, columns, source);
  return finishDataset(source, rows, specs, builders);
}

/** Reads JSON Lines into builders made by `make` (see {@link parseJsonLines}). */
export async function readJsonLinesColumns(
  input: DatasetInput,
  columns: readonly ColumnSpec[] | undefined,
  source: string,
  make: BuilderFactory = (spec) => builderFor(spec.type, 1024),
): Promise<ReadColumns> {
  if (columns) assertUniqueSpecs(columns);
  const discovered: ColumnSpec[] = [];
  const builders = new Map<string, ColumnBuilder>();
  // Requested columns get a builder when first seen, so a column no row has stays absent.
  const wanted = new Map((columns ?? []).map((spec) => [spec.name, spec.type]));
  let rows = 0;
  const handle = (line: number, text: string): void => {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new DatasetError(`${source}:${line}: invalid JSON: ${(error as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
      throw new DatasetError(`${source}:${line}: expected a JSON object, got ${kind}`);
    }
    const record = value as Record<string, unknown>;
    if (columns) {
      for (const [name, type] of wanted) {
        if (!(name in record)) continue;
        let builder = builders.get(name);
        if (!builder) {
          builder = make({ name, type });
          builders.set(name, builder);
        }
        builder.put(rows, record[name], line);
      }
    } else {
      for (const name of Object.keys(record)) {
        let builder = builders.get(name);
        if (!builder) {
          builder = make({ name, type: 'categorical' });
          builders.set(name, builder);
          discovered.push({ name, type: 'categorical' });
        }
        builder.put(rows, record[name], line);
      }
    }
    rows++;
  };
  for await (const { line, text } of textLines(input)) handle(line, text);
  return { rows, specs: columns ?? discovered, builders };
}
