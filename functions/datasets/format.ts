/** Dataset formats by file extension, and parsing a dataset in a given format. */
import { DatasetError } from '#contracts/errors.ts';
import type { Dataset } from '#domain/quality.ts';
import type { ColumnSpec } from './columns.ts';
import { parseCsv } from './csv.ts';

import type { DatasetInput } from './input.ts';
import { parseJsonLines } from './jsonl.ts';

import { parseParquet } from './parquet.ts';

/** File formats, chosen by the object key's extension. */
export type DatasetFormat = 'csv' | 'jsonl' | 'parquet';

const FORMATS: Readonly<Record<string, DatasetFormat>> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
};

/** Picks the format by extension (`.csv`, `.jsonl`, `.ndjson`, `.parquet`). @throws DatasetError otherwise. */
export function datasetFormat(key: string): DatasetFormat {
  const match = /\.[^./]+$/.exec(key);
  const extension = match ? match[0].toLowerCase() : '';
  const format = FORMATS[extension];
  if (!format) {
    throw new DatasetError(
      `${key}: unknown dataset format "${extension || '(none)'}"; use .csv, .jsonl, .ndjson or .parquet`,
    );
  }
  return format;
}

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
