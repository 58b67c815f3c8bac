/**
 * Observation files (JSON Lines or CSV) as rows with their line numbers: the first half of ingest, shared by
 * every way observations come in. A malformed row is reported at its line and the rest are read.
 */

import { parse as parseCsvLine } from 'csv-parse/sync';
import { type AsyncBuffer, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { DatasetError } from '#contracts/errors.ts';
import type { IngestRow as RawRow } from '#domain/ingest.ts';
import { type DatasetInput, textLines } from './input.ts';

export type { RawRow };

export type RowsFormat = 'jsonl' | 'csv';

/** Columns of an observation CSV that hold numbers. */
export const OBSERVATION_NUMBERS: ReadonlySet<string> = new Set([
  'value',
  'count',
  'score',
  'threshold',
  'pValue',
  'sd',
  'sum',
  'sumSquares',
  'version',
]);

/** Numbers as a person writes them in CSV: decimal, optional sign and exponent (`0x10` stays text). */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** NaN and Infinity become numbers, so validation rejects them by name. */
const NON_FINITE = /^[-+]?(NaN|Infinity)$/;

/** The row format of an observation file, by its extension; undefined for another extension. */
export function rowsFormat(name: string): RowsFormat | undefined {
  const extension = /\.[^./]*$/.exec(name.toLowerCase())?.[0] ?? '';
  if (extension === '.csv') return 'csv';
  if (['.jsonl', '.ndjson', '.json'].includes(extension)) return 'jsonl';
  return undefined;
}

/** The format of an observation file, Parquet included, by its extension; undefined for another extension. */
export function rowsFormatOf(name: string): RowsFormat | 'parquet' | undefined {
  return /\.parquet$/i.test(name) ? 'parquet' : rowsFormat(name);
}

/** The non-blank lines of a text, trimmed, with their numbers. */
async function* lines(input: DatasetInput): AsyncGenerator<{ line: number; text: string }> {
  for await (const { line, text } of textLines(input)) {
    const trimmed = text.trim();
    if (trimmed !== '') yield { line, text: trimmed };
  }
}

/** JSON Lines: one object per line; blank lines skipped; a UTF-8 byte-order mark is dropped. */
export async function* jsonLinesRows(input: DatasetInput): AsyncGenerator<RawRow> {
  for await (const { line, text } of lines(input)) {
    try {
      yield { line, value: JSON.parse(text) };
    } catch (error) {
      yield { line, error: `invalid JSON: ${(error as Error).message}` };
    }
  }
}

/**
 * CSV with a header row naming the fields, one row per line (observations hold no line breaks, so a stray quote
 * spoils only its own line); empty cells are omitted and the `numeric` columns' decimal cells become numbers. A
 * row with more or fewer cells than the header, or a malformed quote, is rejected at its line.
 * @throws DatasetError when the header names a column twice (no row could be read right).
 */
export async function* csvRows(input: DatasetInput, numeric: ReadonlySet<string>): AsyncGenerator<RawRow> {
  let header: string[] | undefined;
  for await (const { line, text } of lines(input)) {
    let record: string[];
    try {
      [record = []] = parseCsvLine(text, { trim: true }) as string[][];
    } catch (error) {
      yield { line, error: `malformed CSV row: ${(error as Error).message.replace(/ at line \d+/, '')}` };
      continue;
    }
    if (!header) {
      header = record;
      const duplicate = header.find((name, index) => header?.indexOf(name) !== index);
      if (duplicate !== undefined)
        throw new DatasetError(`line ${line}: the header names column "${duplicate}" twice`);
      continue;
    }
    if (record.length !== header.length) {
      yield { line, error: `malformed CSV row: ${record.length} cells, the header has ${header.length}` };
      continue;
    }
    const value: Record<string, unknown> = {};
    for (const [index, cell] of record.entries()) {
      if (cell === '') continue;
      const key = header[index] as string;
      value[key] = numeric.has(key) && (DECIMAL.test(cell) || NON_FINITE.test(cell)) ? Number(cell) : cell;
    }
    yield { line, value };
  }
}

/** The rows of an observation file in `format`. */
export function readRows(
  input: DatasetInput,
  format: RowsFormat,
  numeric: ReadonlySet<string>,
): AsyncGenerator<RawRow> {
  return format === 'csv' ? csvRows(input, numeric) : jsonLinesRows(input);
}

/**
 * The rows of an observation Parquet file, one row group at a time (memory bounded by the largest row group):
 * `line` is the 1-based row number, null cells are omitted and INT64 cells become numbers.
 * @throws DatasetError when the file is not Parquet or cannot be decoded.
 */
export async function* parquetRows(file: AsyncBuffer, source = 'file'): AsyncGenerator<RawRow> {
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new DatasetError(`${source}: not a readable Parquet file: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    let records: Record<string, unknown>[];
    try {
      records = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end });
    } catch (error) {
      throw new DatasetError(
        `${source}: cannot read Parquet rows ${start + 1}-${end}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    for (const [index, record] of records.entries()) {
      const value: Record<string, unknown> = {};
      for (const [key, cell] of Object.entries(record)) {
        if (cell === null || cell === undefined) continue;
        value[key] =
          typeof cell === 'bigint' ? Number(cell) : cell instanceof Date ? cell.toISOString() : cell;
      }
      yield { line: start + index + 1, value };
    }
    start = end;
  }
}
