export { DatasetError } from '#contracts/errors.ts';
/**
 * Dataset parsing, free of any storage: CSV, JSON Lines and Parquet from text, bytes, streams or an AsyncBuffer,
 * keeping only the requested columns in columnar form (numeric -> Float64Array with NaN for missing;
 * categorical/binary -> strings with null for missing). Bad values and absent columns are reported in the
 * result for data-quality checks; only a malformed file (bad JSON, broken CSV, not Parquet) throws. Also the
 * trainer's dense numeric tables, read with the same CSV reader. Reading from S3: `#stores/datasets.ts`.
 */
export type { ColumnType, Dataset, DatasetColumn } from '#domain/quality.ts';
export { type ColumnReader, openTextColumns, type TextColumnsOptions } from './column-reader.ts';
export type { ColumnSpec } from './columns.ts';
export { type CsvRecordHandler, concatenateCsv, parseCsv, readCsvRecords } from './csv.ts';

export { type DatasetFormat, datasetFormat, parseDataset } from './format.ts';

export { inferColumns, inferColumnType, withColumnTypes } from './infer.ts';

export type { DatasetInput } from './input.ts';
export { parseJsonLines } from './jsonl.ts';

export { parseNumericTable } from './numeric-table.ts';

export {
  type AsyncBuffer,
  bytesBuffer,
  DEFAULT_PARQUET_BATCH_BYTES,
  DEFAULT_PARQUET_READ_AHEAD_BYTES,
  openParquet,
  type ParquetReadOptions,
  parseParquet,
} from './parquet.ts';

export { DEFAULT_SPILL_MEMORY_BYTES } from './spill.ts';
export { parseFiniteNumber, parseNumber } from './values.ts';
