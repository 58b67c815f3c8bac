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
import type { ColumnReader } from './column-reader.ts';
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

/** Options of {@link parseParquet} and {@link openParquet}. */
export interface ParquetReadOptions {
  /** Compressed bytes of column chunks fetched and decoded at once. @default 64 MiB */
  batchBytes?: number;
  /** {@link openParquet}: decoded bytes of columns read ahead of the one asked for. @default 32 MiB */
  readAheadBytes?: number;
}

/** Decoded columns {@link openParquet} reads at once (the asked one and those after it), in bytes. */
export const DEFAULT_PARQUET_READ_AHEAD_BYTES = 32 * 1024 * 1024;

/** A Parquet file whose footer was read: its rows, columns, and a reader of some of its columns. */
interface OpenedParquet {
  rows: number;
  names: string[];
  /** Reads `specs` (columns the file has) into new builders, row group by row group, in batches of `batchBytes`. */
  read(specs: readonly ColumnSpec[]): Promise<Map<string, ColumnBuilder>>;
}

async function openFile(
  file: Uint8Array | AsyncBuffer,
  source: string,
  options: ParquetReadOptions,
): Promise<OpenedParquet> {
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
  const rows = Number(metadata.num_rows);
  const grouped = metadata.row_groups.reduce((sum, group) => sum + Number(group.num_rows), 0);
  if (grouped !== rows)
    throw new DatasetError(`${source}: row groups hold ${grouped} rows, the footer says ${rows}`);
  const budget = options.batchBytes ?? DEFAULT_PARQUET_BATCH_BYTES;
  const read = async (specs: readonly ColumnSpec[]) => {
    const builders = new Map<string, ColumnBuilder>();
    for (const spec of specs) builders.set(spec.name, builderFor(spec.type, rows, true));
    const present = [...builders.keys()];
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
    return builders;
  };
  return { rows, names, read };
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
  const opened = await openFile(file, source, options);
  const specs = columns ?? opened.names.map((name) => ({ name, type: 'categorical' as const }));
  const builders = await opened.read(specs.filter((spec) => opened.names.includes(spec.name)));
  return finishDataset(source, opened.rows, specs, builders);
}

/**
 * Opens a Parquet file to read the requested columns one at a time (see {@link FeatureSource}): the footer
 * now, each column when asked for, together with the next requested ones up to `readAheadBytes` of decoded
 * values (fewer, larger reads); a column handed out is no longer held.
 * @throws DatasetError naming the source when the file is not Parquet (here or at a column's read).
 */
export async function openParquet(
  file: Uint8Array | AsyncBuffer,
  columns: readonly ColumnSpec[],
  source = 'dataset',
  options: ParquetReadOptions = {},
): Promise<ColumnReader> {
  assertUniqueSpecs(columns);
  const opened = await openFile(file, source, options);
  const present = columns.filter((spec) => opened.names.includes(spec.name));
  const ahead = options.readAheadBytes ?? DEFAULT_PARQUET_READ_AHEAD_BYTES;
  const read = new Set<string>();
  const ready = new Map<string, ColumnBuilder>();
  return {
    source,
    rows: opened.rows,
    has: (name) => present.some((spec) => spec.name === name),
    async column(spec) {
      if (!ready.has(spec.name)) {
        if (!present.some((p) => p.name === spec.name))
          throw new DatasetError(`${source}: column "${spec.name}" was not requested or is not in the file`);
        // The asked column first, then those not read yet in request order, within the read-ahead budget.
        const batch: ColumnSpec[] = [spec];
        let bytes = opened.rows * 8;
        for (const next of present) {
          if (next.name === spec.name || read.has(next.name) || bytes + opened.rows * 8 > ahead) continue;
          batch.push(next);
          bytes += opened.rows * 8;
        }
        for (const [name, builder] of await opened.read(batch)) {
          ready.set(name, builder);
          read.add(name);
        }
      }
      const builder = ready.get(spec.name) as ColumnBuilder;
      ready.delete(spec.name);
      return { values: builder.finish(opened.rows), typeViolations: builder.violations };
    },
    close: async () => {
      ready.clear();
    },
  };
}
