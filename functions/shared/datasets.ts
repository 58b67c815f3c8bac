/**
 * Dataset readers for drift monitoring: CSV, JSON Lines and Parquet, from text/bytes or from the artifacts
 * bucket, keeping only the requested columns in columnar form (numeric -> Float64Array with NaN for
 * missing; categorical/binary -> strings with null for missing). Bad values and absent columns are reported
 * in the result for data-quality checks; only a malformed file (bad JSON, broken CSV, not Parquet) throws.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, gunzipSync, zstdDecompressSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { parse as csvParser } from 'csv-parse';
import {
  type AsyncBuffer,
  type Compressors,
  type DecodedArray,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
} from 'hyparquet';
import type { ColumnType, Dataset, DatasetColumn } from '#domain/quality.ts';
import { s3 } from './aws.ts';
import { config } from './config.ts';
import { ObjectNotFoundError } from './errors.ts';

/** File formats, chosen by the object key's extension. */
export type DatasetFormat = 'csv' | 'jsonl' | 'parquet';

export type { ColumnType, Dataset, DatasetColumn };

/** A column to read; `MonitoredFeature` of the policy fits. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

/** A file that cannot be read as its format says: the message names the source and, where known, the line. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

/** Text, bytes, or a stream of chunks (an S3 body, a file stream). */
export type DatasetInput = string | Uint8Array | AsyncIterable<Uint8Array | string>;

/** Counters of an S3 read, for benchmarks and logs. */
export interface ReadStats {
  requests: number;
  bytes: number;
}

const FORMATS: Readonly<Record<string, DatasetFormat>> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
};

/** Texts that mean "no value" in CSV cells and JSON strings (pandas' common defaults). */
const MISSING_TEXT = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL']);
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY: Readonly<Record<string, number>> = {
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/** First read of a Parquet footer (hyparquet reads the rest if the footer is larger); its default is 512 KiB. */
const FOOTER_FETCH_BYTES = 64 * 1024;

/** Parquet columns read per request, in compressed bytes: bounds memory on wide or huge files. */
export const DEFAULT_PARQUET_BATCH_BYTES = 64 * 1024 * 1024;

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

/**
 * A number from a cell: NaN when missing (see {@link MISSING_TEXT}), `undefined` when not a number.
 * Decimal and scientific notation only (no hex, no thousands separators); `inf`/`Infinity` are infinite.
 */
export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (MISSING_TEXT.has(trimmed)) return Number.NaN;
  if (DECIMAL.test(trimmed)) return Number(trimmed);
  return INFINITY[trimmed.toLowerCase()];
}

function toNumber(value: unknown): number | undefined {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return parseNumber(value);
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

function toCategory(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return MISSING_TEXT.has(trimmed) ? null : trimmed;
  }
  if (typeof value === 'number') return Number.isNaN(value) ? null : String(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'bigint' ? inner.toString() : inner,
  );
}

/** Collects one column; rows never written stay missing. `line` < 0 means "no line, name the row". */
interface ColumnBuilder {
  put(row: number, value: unknown, line: number): void;
  putChunk(rowStart: number, data: DecodedArray, limit: number): void;
  finish(rows: number): DatasetColumn;
  violation(): string | undefined;
  readonly violations: number;
}

function where(row: number, line: number): string {
  return line >= 0 ? `line ${line}` : `row ${row + 1}`;
}

/** NaN from `from` on: a plain loop, several times faster than `Float64Array.prototype.fill(NaN)` in V8. */
function fillNaN(values: Float64Array, from: number): Float64Array {
  for (let i = from; i < values.length; i++) values[i] = Number.NaN;
  return values;
}

class NumericBuilder implements ColumnBuilder {
  private values: Float64Array;
  violations = 0;
  private first: string | undefined;

  /** `covered`: every row will be written (Parquet chunks), so nothing needs to start as missing. */
  constructor(capacity: number, covered = false) {
    this.values = covered ? new Float64Array(capacity) : fillNaN(new Float64Array(capacity), 0);
  }

  private grow(row: number): void {
    if (row < this.values.length) return;
    const next = new Float64Array(Math.max(row + 1, this.values.length * 2, 1024));
    next.set(this.values);
    this.values = fillNaN(next, this.values.length);
  }

  put(row: number, value: unknown, line: number): void {
    this.grow(row);
    const number = toNumber(value);
    if (number === undefined) {
      this.violations++;
      this.first ??= `${JSON.stringify(typeof value === 'string' ? value : String(value))} on ${where(row, line)}`;
      this.values[row] = Number.NaN;
    } else {
      this.values[row] = number;
    }
  }

  putChunk(rowStart: number, data: DecodedArray, limit: number): void {
    const count = Math.min(data.length, limit - rowStart);
    if (count <= 0) return;
    this.grow(rowStart + count - 1);
    // Typed numeric chunks (DOUBLE, FLOAT, INT32) copy in one call; BigInt and mixed arrays go value by value.
    if (!(data instanceof BigInt64Array || data instanceof BigUint64Array) && !Array.isArray(data)) {
      this.values.set(count === data.length ? data : data.subarray(0, count), rowStart);
      return;
    }
    for (let i = 0; i < count; i++) this.put(rowStart + i, data[i], -1);
  }

  finish(rows: number): Float64Array {
    return this.values.length === rows ? this.values : this.values.slice(0, rows);
  }

  violation(): string | undefined {
    return this.first;
  }
}

class CategoryBuilder implements ColumnBuilder {
  private values: (string | null)[];
  readonly violations = 0;

  constructor(capacity: number) {
    this.values = new Array<string | null>(capacity).fill(null);
  }

  put(row: number, value: unknown): void {
    while (this.values.length <= row) this.values.push(null);
    this.values[row] = toCategory(value);
  }

  putChunk(rowStart: number, data: DecodedArray, limit: number): void {
    const count = Math.min(data.length, limit - rowStart);
    for (let i = 0; i < count; i++) this.put(rowStart + i, data[i]);
  }

  finish(rows: number): (string | null)[] {
    if (this.values.length > rows) this.values.length = rows;
    while (this.values.length < rows) this.values.push(null);
    return this.values;
  }

  violation(): undefined {
    return undefined;
  }
}

function builderFor(type: ColumnType, capacity: number, covered = false): ColumnBuilder {
  return type === 'numeric' ? new NumericBuilder(capacity, covered) : new CategoryBuilder(capacity);
}

/** Assembles the result: absent columns and type violations become named problems. */
function finishDataset(
  source: string,
  rows: number,
  specs: readonly ColumnSpec[],
  builders: ReadonlyMap<string, ColumnBuilder>,
): Dataset {
  const dataset: Dataset = { source, rows, columns: {}, absentColumns: [], typeViolations: {}, problems: [] };
  for (const spec of specs) {
    const builder = builders.get(spec.name);
    if (!builder) {
      dataset.absentColumns.push(spec.name);
      dataset.problems.push(`column "${spec.name}" is missing from ${source}`);
      continue;
    }
    dataset.columns[spec.name] = builder.finish(rows);
    if (spec.type === 'numeric') {
      dataset.typeViolations[spec.name] = builder.violations;
      if (builder.violations > 0) {
        dataset.problems.push(
          `column "${spec.name}" of ${source}: ${builder.violations} ${builder.violations === 1 ? 'value is not a number' : 'values are not numbers'} (first: ${builder.violation()})`,
        );
      }
    }
  }
  return dataset;
}

function assertUniqueSpecs(specs: readonly ColumnSpec[]): void {
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) throw new DatasetError(`column "${spec.name}" is requested twice`);
    seen.add(spec.name);
  }
}

function toStream(input: DatasetInput): Readable {
  if (typeof input === 'string' || input instanceof Uint8Array) return Readable.from([input]);
  return Readable.from(input);
}

/**
 * Reads CSV with a header row; only the requested columns are kept (all of them, as labels, when
 * `columns` is omitted). Cells are trimmed; empty cells and NA/N/A/NaN/null are missing.
 * @throws DatasetError naming the source and line of a malformed file (unclosed quote, wrong field count).
 */
export async function parseCsv(
  input: DatasetInput,
  columns?: readonly ColumnSpec[],
  source = 'dataset',
): Promise<Dataset> {
  if (columns) assertUniqueSpecs(columns);
  let specs = columns;
  const bound: [number, ColumnBuilder][] = [];
  const builders = new Map<string, ColumnBuilder>();
  let header: string[] | undefined;
  let rows = 0;
  const parser = csvParser({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    on_record: (record: string[], context: { lines: number }) => {
      if (header === undefined) {
        header = record;
        specs ??= record.map((name) => ({ name, type: 'categorical' as const }));
        for (const spec of specs) {
          const index = record.indexOf(spec.name);
          if (index < 0) continue;
          const builder = builderFor(spec.type, 1024);
          builders.set(spec.name, builder);
          bound.push([index, builder]);
        }
        return null;
      }
      for (const [index, builder] of bound) builder.put(rows, record[index], context.lines);
      rows++;
      // Nothing is buffered: every record goes straight into the column builders.
      return null;
    },
  });
  try {
    await pipeline(toStream(input), parser, async (records: AsyncIterable<unknown>) => {
      for await (const _ of records);
    });
  } catch (error) {
    throw new DatasetError(`${source}: ${(error as Error).message}`, { cause: error });
  }
  if (header) {
    const duplicate = header.find((name, index) => header?.indexOf(name) !== index && builders.has(name));
    if (duplicate !== undefined)
      throw new DatasetError(`${source}: column "${duplicate}" appears twice in the header`);
  }
  return finishDataset(source, rows, specs ?? [], builders);
}

async function* textChunks(input: DatasetInput): AsyncGenerator<string> {
  if (typeof input === 'string') {
    yield input;
    return;
  }
  const decoder = new TextDecoder('utf-8');
  if (input instanceof Uint8Array) {
    yield decoder.decode(input);
    return;
  }
  for await (const chunk of input)
    yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  yield decoder.decode();
}

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
  if (columns) assertUniqueSpecs(columns);
  const discovered: ColumnSpec[] = [];
  const builders = new Map<string, ColumnBuilder>();
  // Requested columns get a builder when first seen, so a column no row has stays absent.
  const wanted = new Map((columns ?? []).map((spec) => [spec.name, spec.type]));
  let rows = 0;
  let line = 0;
  const handle = (raw: string): void => {
    line++;
    const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
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
          builder = builderFor(type, 1024);
          builders.set(name, builder);
        }
        builder.put(rows, record[name], line);
      }
    } else {
      for (const name of Object.keys(record)) {
        let builder = builders.get(name);
        if (!builder) {
          builder = builderFor('categorical', 1024);
          builders.set(name, builder);
          discovered.push({ name, type: 'categorical' });
        }
        builder.put(rows, record[name], line);
      }
    }
    rows++;
  };
  let pending = '';
  for await (const chunk of textChunks(input)) {
    pending += chunk;
    let start = 0;
    for (let end = pending.indexOf('\n', start); end >= 0; end = pending.indexOf('\n', start)) {
      handle(pending.slice(start, pending.charCodeAt(end - 1) === 13 ? end - 1 : end));
      start = end + 1;
    }
    pending = pending.slice(start);
  }
  if (pending !== '') handle(pending);
  return finishDataset(source, rows, columns ?? discovered, builders);
}

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

/** Splits columns into batches of at most `budget` bytes (a bigger column gets a batch of its own). */
function batchColumns(
  names: readonly string[],
  sizes: ReadonlyMap<string, number>,
  budget: number,
): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const name of names) {
    const size = sizes.get(name) ?? 0;
    if (batch.length > 0 && bytes + size > budget) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(name);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
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
      for (const batch of batchColumns(present, chunkSizes(metadata, group), budget)) {
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
    if (error instanceof ObjectNotFoundError || error instanceof DatasetError) throw error;
    throw new DatasetError(`${source}: cannot read Parquet data: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return finishDataset(source, rows, specs, builders);
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

/**
 * The type of a label column read without a type: `numeric` when every non-missing value parses as a
 * number, else `binary` with at most 2 distinct values, else `categorical` (all missing: `categorical`).
 */
export function inferColumnType(values: readonly (string | null)[]): ColumnType {
  let numeric = true;
  let present = 0;
  const distinct = new Set<string>();
  for (const value of values) {
    if (value === null) continue;
    present++;
    if (numeric && parseNumber(value) === undefined) numeric = false;
    if (distinct.size <= 2) distinct.add(value);
    if (!numeric && distinct.size > 2) return 'categorical';
  }
  if (numeric && present > 0) return 'numeric';
  return present > 0 && distinct.size <= 2 ? 'binary' : 'categorical';
}

/**
 * Column specs inferred from a dataset read without types (every column as labels), for `names` (default:
 * every column, in file order). @throws DatasetError naming a column the dataset does not have.
 */
export function inferColumns(dataset: Dataset, names?: readonly string[]): ColumnSpec[] {
  const available = Object.keys(dataset.columns);
  return (names ?? available).map((name) => {
    const column = dataset.columns[name];
    if (column === undefined) {
      throw new DatasetError(
        `unknown column "${name}": ${dataset.source} has ${available.map((c) => `"${c}"`).join(', ')}`,
      );
    }
    return { name, type: Array.isArray(column) ? inferColumnType(column) : 'numeric' };
  });
}

/**
 * Re-types a dataset read as labels: keeps `specs`' columns, numeric ones parsed to numbers (values that are
 * not numbers count as type violations, named by row).
 */
export function withColumnTypes(dataset: Dataset, specs: readonly ColumnSpec[]): Dataset {
  assertUniqueSpecs(specs);
  const builders = new Map<string, ColumnBuilder>();
  for (const spec of specs) {
    const column = dataset.columns[spec.name];
    if (column === undefined) continue;
    const builder = builderFor(spec.type, dataset.rows, true);
    builder.putChunk(0, column, dataset.rows);
    builders.set(spec.name, builder);
  }
  return finishDataset(dataset.source, dataset.rows, specs, builders);
}

function isNotFound(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return error instanceof NoSuchKey || name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * An AsyncBuffer over an object of the artifacts bucket: one HEAD for the size, then one ranged GET
 * per slice, pinned to the object's ETag so a file replaced mid-read fails instead of mixing versions.
 * Ranges are always explicit (`bytes=a-b`): s3rver ignores suffix ranges (`bytes=-n`) and `If-Match`.
 * @throws ObjectNotFoundError when the key does not exist.
 */
export async function s3ObjectBuffer(key: string, stats?: ReadStats): Promise<AsyncBuffer> {
  const bucket = config().bucket;
  let head: { ContentLength?: number | undefined; ETag?: string | undefined };
  try {
    head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
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
      const output = await s3()
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
  key: string,
  columns: readonly ColumnSpec[],
  options: ParquetReadOptions & { stats?: ReadStats } = {},
): Promise<Dataset> {
  const format = datasetFormat(key);
  const bucket = config().bucket;
  const source = `s3://${bucket}/${key}`;
  if (format === 'parquet')
    return parseParquet(await s3ObjectBuffer(key, options.stats), columns, source, options);
  let body: AsyncIterable<Uint8Array>;
  try {
    const output = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!output.Body) throw new ObjectNotFoundError(`${source} has no body`);
    body = output.Body as AsyncIterable<Uint8Array>;
  } catch (error) {
    if (isNotFound(error)) throw new ObjectNotFoundError(`${source} does not exist`);
    throw error;
  }
  const counted = options.stats ? countBytes(body, options.stats) : body;
  return parseDataset(counted, format, columns, source);
}

async function* countBytes(body: AsyncIterable<Uint8Array>, stats: ReadStats): AsyncGenerator<Uint8Array> {
  stats.requests++;
  for await (const chunk of body) {
    stats.bytes += chunk.byteLength;
    yield chunk;
  }
}
