/** Dataset formats by file extension, and parsing a dataset in a given format. */
import { DatasetError } from '#contracts/errors.ts';
import type { Dataset } from '#domain/quality.ts';
import type { ColumnSpec } from './columns.ts';
import { parseCsv } from './csv.ts';

import type { DatasetFormat } from './dataset-format.ts';
import type { DatasetInput } from './input.ts';
import { parseJsonLines } from './jsonl.ts';

import { parseParquet } from './parquet.ts';

export { type DatasetFormat, datasetFormat } from './dataset-format.ts';

/** Parses a dataset held in memory (or streamed, for CSV and JSON Lines) in the given format. */
export function parseDataset(
  input: DatasetInput,
  format: DatasetFormat,
  columns?: readonly ColumnSpec[],
  source = 'dataset',
): Promise<Dataset> {
  switch (format) {
    case 'csv':
      return parseCsv(input, columns, source);
    case 'jsonl':
      return parseJsonLines(input, columns, source);
    case 'parquet':
      if (!(input instanceof Uint8Array)) throw new DatasetError(`${source}: Parquet needs the file's bytes`);
      return parseParquet(input, columns, source);
  }
}
