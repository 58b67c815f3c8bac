/** The Parquet reader, over bytes in memory or any hyparquet AsyncBuffer (e.g. ranged reads of an object). */

import { brotliDecompressSync, gunzipSync, zstdDecompressSync } from 'node:zlib';
import {
  type AsyncBuffer,
  type Compressors,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
} from 'hyparquet';
import { DatasetError, ObjectNotFoundError } from '#contracts/errors.ts';

import { groupBySize } from '#domain/group-by-size.ts';
import type { Dataset } from '#domain/quality.ts';
import {
  assertUniqueSpecs,
  builderFor,
  type ColumnBuilder,
  type ColumnSpec,
  finishDataset,
} from './columns.ts';

export type { AsyncBuffer };

/** First read of a Parquet footer (hyparquet reads the rest if the footer is larger); its default is 512 KiB. */
const FOOTER_FETCH_BYTES = 64 * 1024;

/** Parquet columns read per request, in compressed bytes: bounds memory on wide or huge files. */
export const DEFAULT_PARQUET_BATCH_BYTES = 64 * 1024 * 1024;

/** Decompressors beyond hyparquet's built-in Snappy, from node:zlib (pyarrow, Spark and Polars write these). */
const COMPRESSORS: Compressors = {
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
  ZSTD: (input) => zstdDecompressSync(input),
};

/** An AsyncBuffer over bytes in memory. */
export function bytesBuffer(bytes: Uint8Array): AsyncBuffer {
  return {
    byteLength: bytes.byteLength,
    slice: (start, end = bytes.byteLength) =>
      bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + end) as ArrayBuffer,
  };
}

/** Compressed size of each top-level column in one row group (nested columns add up their leaves). */
function chunkSizes(metadata: FileMetaData, group: number): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const chunk of metadata.row_groups[group]?.columns ?? []) {
    const name = chunk.meta_data?.path_in_schema[0];
    if (name === undefined) continue;
    sizes.set(name, (sizes.get(name) ?? 0) + Number(chunk.meta_data?.total_compressed_size ?? 0));
  }
  return sizes;
}

/** Options of {@link parseParquet}. */
export interface ParquetReadOptions {
  /** Compressed bytes of column chunks fetched and decoded at once. @default 64 MiB */
  batchBytes?: number;
}

/**
 * Reads the requested columns of a Parquet file (all of them, as labels, when `columns` is omitted),
 * row group by row group and in batches of columns, so only one batch's bytes are held at a time; the
 * decoded values go straight into the output arrays (no row objects). Snappy, GZIP, Brotli and ZSTD.
 * @throws DatasetError naming the source when the file is not Parquet or uses what hyparquet cannot read.
 */
export async function parseParquet(
  file: Uint8Array | AsyncBuffer,
  columns?: readonly ColumnSpec[],
  source = 'dataset',
  options: ParquetReadOptions = {},
): Promise<Dataset> {
  if (columns) assertUniqueSpecs(columns);
  const buffer = file instanceof Uint8Array ? bytesBuffer(file) : file;
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer, { initialFetchSize: FOOTER_FETCH_BYTES });
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throw new DatasetError(`${source}: not a readable Parquet file: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const names = parquetSchema(metadata).children.map((child) => child.element.name);
  const specs = columns ?? names.map((name) => ({ name, type: 'categorical' as const }));
  const rows = Number(metadata.num_rows);
  const builders = new Map<string, ColumnBuilder>();
  for (const spec of specs)
    if (names.includes(spec.name)) builders.set(spec.name, builderFor(spec.type, rows, true));
  const grouped = metadata.row_groups.reduce((sum, group) => sum + Number(group.num_rows), 0);
  if (grouped !== rows)
    throw new DatasetError(`${source}: row groups hold ${grouped} rows, the footer says ${rows}`);
  const present = [...builders.keys()];
  const budget = options.batchBytes ?? DEFAULT_PARQUET_BATCH_BYTES;
  let groupStart = 0;
  try {
    for (let group = 0; group < metadata.row_groups.length && present.length > 0; group++) {
      const groupRows = Number(metadata.row_groups[group]?.num_rows ?? 0);
      const sizes = chunkSizes(metadata, group);
      // Batches of at most `budget` compressed bytes (a bigger column gets a batch of its own).
      for (const batch of groupBySize(present, (name) => sizes.get(name) ?? 0, budget)) {
        if (groupRows === 0) break;
        await parquetRead({
          file: buffer,
          metadata,
          columns: batch,
          rowStart: groupStart,
          rowEnd: groupStart + groupRows,
          compressors: COMPRESSORS,
          onChunk: (chunk) =>
            builders.get(chunk.columnName)?.putChunk(chunk.rowStart, chunk.columnData, rows),
        });
      }
      groupStart += groupRows;
    }
  } catch (error) {
    // A read saying the file is gone is passed on as it is, not as a malformed file.
    if (error instanceof ObjectNotFoundError || error instanceof DatasetError) throw error;
    throw new DatasetError(`${source}: cannot read Parquet data: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return finishDataset(source, rows, specs, builders);
}
