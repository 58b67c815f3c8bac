/**
 * A dataset's format from its object key, apart from the parsers so that code choosing a reader loads only the
 * one it needs.
 */
import { DatasetError } from '#contracts/errors.ts';

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
