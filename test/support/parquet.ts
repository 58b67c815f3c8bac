/**
 * Parquet fixtures for tests, written by hyparquet-writer: the product only reads Parquet, so the writer
 * lives with the tests (and the benchmark), not in `functions/`.
 */
import { brotliCompressSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { type ColumnSource, type ParquetWriteOptions, parquetWriteBuffer } from 'hyparquet-writer';

/**
 * Values of one column. Float64Array -> REQUIRED DOUBLE, BigInt64Array -> REQUIRED INT64; plain arrays
 * are OPTIONAL (null is a null) and typed by their first non-null value: number -> DOUBLE, bigint ->
 * INT64, string (or all null) -> STRING.
 */
export type ParquetColumn =
  | Float64Array
  | BigInt64Array
  | readonly (number | null)[]
  | readonly (bigint | null)[]
  | readonly (string | null)[];

/** Page codecs a fixture can use: hyparquet-writer's own Snappy, the rest through {@link COMPRESSORS}. */
export type ParquetCodec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP' | 'BROTLI' | 'ZSTD';

/** Compressors hyparquet-writer lacks (it has Snappy only), from node:zlib like the reader's decompressors. */
export const COMPRESSORS: NonNullable<ParquetWriteOptions['compressors']> = {
  GZIP: (input) => gzipSync(input),
  BROTLI: (input) => brotliCompressSync(input),
  ZSTD: (input) => zstdCompressSync(input),
};

/** Options of {@link parquetBytes}. */
export interface ParquetFixtureOptions {
  /** @default 'SNAPPY' (hyparquet-writer's default) */
  codec?: ParquetCodec;
  /** Rows per row group. @default hyparquet-writer's: 1,000 rows, then 100,000 per group */
  rowGroupSize?: number;
}

function columnSource(name: string, values: ParquetColumn): ColumnSource {
  if (values instanceof Float64Array) return { name, data: values, type: 'DOUBLE', nullable: false };
  if (values instanceof BigInt64Array) return { name, data: values, type: 'INT64', nullable: false };
  const sample = (values as readonly unknown[]).find((value) => value !== null);
  const type = typeof sample === 'number' ? 'DOUBLE' : typeof sample === 'bigint' ? 'INT64' : 'STRING';
  return { name, data: values as unknown[], type, nullable: true };
}

/** Encodes columns (name -> values, all of the same length) as the bytes of one Parquet file. */
export function parquetBytes(
  columns: Readonly<Record<string, ParquetColumn>>,
  options: ParquetFixtureOptions = {},
): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: Object.entries(columns).map(([name, values]) => columnSource(name, values)),
    codec: options.codec ?? 'SNAPPY',
    compressors: COMPRESSORS,
    ...(options.rowGroupSize === undefined ? {} : { rowGroupSize: options.rowGroupSize }),
  });
  return new Uint8Array(buffer);
}
