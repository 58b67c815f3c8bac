/**
 * Datasets read one column at a time ({@link FeatureSource} of the domain): Parquet by ranged reads of the
 * asked columns (`openParquet`), CSV and JSON Lines in one streamed pass whose columns wait, compactly, in
 * memory up to a budget and on disk beyond it (`openTextColumns`).
 */

import { DatasetError } from '#contracts/errors.ts';
import type { FeatureSource } from '#domain/monitoring.ts';
import type { ColumnType } from '#domain/quality.ts';
import { type ColumnSpec, finishDataset } from './columns.ts';
import { readCsvColumns } from './csv.ts';
import type { DatasetInput } from './input.ts';
import { readJsonLinesColumns } from './jsonl.ts';
import { Spill, type SpillBuilder, spillBuilderFor } from './spill.ts';

/** A dataset opened for reading column by column; `close` frees what is still held (files included). */
export interface ColumnReader extends FeatureSource {
  close(): Promise<void>;
}

/** Options of {@link openTextColumns}. */
export interface TextColumnsOptions {
  /** Bytes of column chunks kept in memory before the rest go to disk. @default 64 MiB */
  memoryBytes?: number;
  /** Folder of the temporary column files. @default the system's temporary folder */
  tmpDir?: string;
}

/**
 * Reads a CSV or JSON Lines dataset in one streamed pass, keeping the requested columns compactly (numbers as
 * doubles, labels as codes into a dictionary) in memory up to `memoryBytes` and in temporary files beyond; each
 * column is then handed out once, whole, as the whole-file readers would give it.
 * @throws DatasetError as `parseCsv` / `parseJsonLines` for a malformed file.
 */
export async function openTextColumns(
  input: DatasetInput,
  format: 'csv' | 'jsonl',
  columns: readonly ColumnSpec[],
  source = 'dataset',
  options: TextColumnsOptions = {},
): Promise<ColumnReader> {
  const spill = new Spill(options.memoryBytes, options.tmpDir);
  const made: SpillBuilder[] = [];
  const make = (spec: { type: ColumnType }) => {
    const builder = spillBuilderFor(spec.type, spill);
    made.push(builder);
    return builder;
  };
  let read: Awaited<ReturnType<typeof readCsvColumns>>;
  try {
    read =
      format === 'csv'
        ? await readCsvColumns(input, columns, source, make)
        : await readJsonLinesColumns(input, columns, source, make);
  } catch (error) {
    for (const builder of made) builder.dispose();
    spill.close();
    throw error;
  }
  const { rows, builders } = read;
  return {
    source,
    rows,
    has: (name) => builders.has(name),
    async column(spec) {
      const builder = builders.get(spec.name);
      if (!builder) throw new DatasetError(`${source}: column "${spec.name}" was not requested or is absent`);
      builders.delete(spec.name);
      // The same conversion as the whole-file readers: one column's dataset, its values and violations.
      const one = finishDataset(source, rows, [spec], new Map([[spec.name, builder]]));
      return {
        values: one.columns[spec.name] as NonNullable<(typeof one.columns)[string]>,
        typeViolations: one.typeViolations[spec.name] ?? 0,
      };
    },
    close: async () => {
      for (const builder of made) builder.dispose();
      builders.clear();
      spill.close();
    },
  };
}
