/**
 * Reading datasets from the artifacts bucket: CSV and JSON Lines streamed from one GET, Parquet with ranged
 * GETs of the requested columns only. The parsing itself is `#datasets/index.ts`, free of any storage.
 */

import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { DatasetError, ObjectNotFoundError } from '#contracts/errors.ts';
import { datasetFormat } from '#datasets/dataset-format.ts';
import type {
  AsyncBuffer,
  ColumnReader,
  ColumnSpec,
  Dataset,
  ParquetReadOptions,
  TextColumnsOptions,
} from '#datasets/index.ts';

import type { KaizenContext } from '#runtime/context.ts';
import { isNotFound } from './objects.ts';

/** Counters of an S3 read, for benchmarks and logs. */
export interface ReadStats {
  requests: number;
  bytes: number;
}

/**
 * An AsyncBuffer over an object of the artifacts bucket: one HEAD for the size, then one ranged GET
 * per slice, pinned to the object's ETag so a file replaced mid-read fails instead of mixing versions.
 * Ranges are always explicit (`bytes=a-b`): s3rver ignores suffix ranges (`bytes=-n`) and `If-Match`.
 * @throws ObjectNotFoundError when the key does not exist.
 */
export async function s3ObjectBuffer(
  ctx: KaizenContext,
  key: string,
  stats?: ReadStats,
): Promise<AsyncBuffer> {
  const bucket = ctx.config.bucket;
  let head: { ContentLength?: number | undefined; ETag?: string | undefined };
  try {
    head = await ctx.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (isNotFound(error)) throw new ObjectNotFoundError(`s3://${bucket}/${key} does not exist`);
    throw error;
  }
  const byteLength = head.ContentLength ?? 0;
  return {
    byteLength,
    slice: async (start, end = byteLength) => {
      if (end <= start) return new ArrayBuffer(0);
      const range = `bytes=${start}-${end - 1}`;
      const output = await ctx.s3
        .send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range, IfMatch: head.ETag }))
        .catch((error: Error) => {
          if (error.name !== 'PreconditionFailed') throw error;
          throw new DatasetError(`s3://${bucket}/${key} changed while it was being read`, { cause: error });
        });
      const bytes = await output.Body?.transformToByteArray();
      if (!bytes || bytes.byteLength !== end - start) {
        throw new DatasetError(
          `s3://${bucket}/${key}: asked for bytes ${start}-${end - 1}, got ${bytes?.byteLength ?? 0} bytes`,
        );
      }
      if (stats) {
        stats.requests++;
        stats.bytes += bytes.byteLength;
      }
      const exact = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      return (
        exact ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
      ) as ArrayBuffer;
    },
  };
}

/**
 * Reads the requested columns of a dataset in the artifacts bucket; the format comes from the key's
 * extension. CSV and JSON Lines are streamed from one GET; Parquet is read with ranged GETs of the
 * requested columns only.
 * @throws ObjectNotFoundError when the key does not exist.
 * @throws DatasetError for an unknown extension or a malformed file (the message names the key and line).
 */
export async function readDatasetFromS3(
  ctx: KaizenContext,
  key: string,
  columns: readonly ColumnSpec[],
  options: ParquetReadOptions & { stats?: ReadStats } = {},
): Promise<Dataset> {
  const format = datasetFormat(key);
  const bucket = ctx.config.bucket;
  const source = `s3://${bucket}/${key}`;
  // Each format's parser loads with its first file (a Lambda's cold start reads none it does not use).
  if (format === 'parquet') {
    const { parseParquet } = await import('#datasets/parquet.ts');
    return parseParquet(await s3ObjectBuffer(ctx, key, options.stats), columns, source, options);
  }
  const { parseDataset } = await import('#datasets/format.ts');
  const body = await getBody(ctx, key);
  const counted = options.stats ? countBytes(body, options.stats) : body;
  return parseDataset(counted, format, columns, source);
}

/** The object's body as a stream. @throws ObjectNotFoundError when the key does not exist. */
async function getBody(ctx: KaizenContext, key: string): Promise<AsyncIterable<Uint8Array>> {
  const bucket = ctx.config.bucket;
  try {
    const output = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!output.Body) throw new ObjectNotFoundError(`s3://${bucket}/${key} has no body`);
    return output.Body as AsyncIterable<Uint8Array>;
  } catch (error) {
    if (isNotFound(error)) throw new ObjectNotFoundError(`s3://${bucket}/${key} does not exist`);
    throw error;
  }
}

/**
 * Opens a dataset of the artifacts bucket to read its requested columns one at a time (bounded memory whatever
 * its size): Parquet reads its footer now and each column with ranged GETs when asked; CSV and JSON Lines are
 * streamed from one GET now, their columns kept compactly in memory up to a budget and in temporary files beyond.
 * Close the reader when done. @throws ObjectNotFoundError when the key does not exist.
 * @throws DatasetError for an unknown extension or a malformed file (the message names the key and line).
 */
export async function openDatasetFromS3(
  ctx: KaizenContext,
  key: string,
  columns: readonly ColumnSpec[],
  options: ParquetReadOptions & TextColumnsOptions & { stats?: ReadStats } = {},
): Promise<ColumnReader> {
  const format = datasetFormat(key);
  const source = `s3://${ctx.config.bucket}/${key}`;
  if (format === 'parquet') {
    const { openParquet } = await import('#datasets/parquet.ts');
    return openParquet(await s3ObjectBuffer(ctx, key, options.stats), columns, source, options);
  }
  const { openTextColumns } = await import('#datasets/column-reader.ts');
  const body = await getBody(ctx, key);
  const counted = options.stats ? countBytes(body, options.stats) : body;
  return openTextColumns(counted, format, columns, source, options);
}

async function* countBytes(body: AsyncIterable<Uint8Array>, stats: ReadStats): AsyncGenerator<Uint8Array> {
  stats.requests++;
  for await (const chunk of body) {
    stats.bytes += chunk.byteLength;
    yield chunk;
  }
}
