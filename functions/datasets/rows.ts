/**
 * Observation files (JSON Lines or CSV) as rows with their line numbers: the first half of ingest, shared by
 * every way observations come in. A malformed row is reported at its line and the rest are read.
 */
import { DatasetError } from '#contracts/errors.ts';
import type { IngestRow as RawRow } from '#domain/ingest.ts';
import { csvRecords } from './csv.ts';
import { type DatasetInput, textChunks } from './input.ts';

export type { RawRow };

export type RowsFormat = 'jsonl' | 'csv';

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

/** JSON Lines: one object per line; blank lines skipped; a UTF-8 byte-order mark is dropped. */
export async function* jsonLinesRows(input: DatasetInput): AsyncGenerator<RawRow> {
  let pending = '';
  let line = 0;
  const parse = (text: string): RawRow | undefined => {
    line += 1;
    const trimmed = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
    if (trimmed === '') return undefined;
    try {
      return { line, value: JSON.parse(trimmed) };
    } catch (error) {
      return { line, error: `invalid JSON: ${(error as Error).message}` };
    }
  };
  for await (const chunk of textChunks(input)) {
    pending += chunk;
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const text of lines) {
      const row = parse(text);
      if (row) yield row;
    }
  }
  const last = parse(pending);
  if (last) yield last;
}

/**
 * CSV with a header row naming the fields; empty cells are omitted and the `numeric` columns' decimal cells
 * become numbers. A row with more or fewer cells than the header is rejected at its line.
 * @throws DatasetError when the header names a column twice (no row could be read right).
 */
export async function* csvRows(input: DatasetInput, numeric: ReadonlySet<string>): AsyncGenerator<RawRow> {
  let header: string[] | undefined;
  for await (const item of csvRecords(input)) {
    if ('error' in item) {
      yield { line: item.line, error: `malformed CSV row: ${item.error}` };
      continue;
    }
    if (!header) {
      header = item.record;
      const duplicate = header.find((name, index) => header?.indexOf(name) !== index);
      if (duplicate !== undefined)
        throw new DatasetError(`line ${item.line}: the header names column "${duplicate}" twice`);
      continue;
    }
    const value: Record<string, unknown> = {};
    for (const [index, cell] of item.record.entries()) {
      if (cell === '') continue;
      const key = header[index] as string;
      value[key] = numeric.has(key) && (DECIMAL.test(cell) || NON_FINITE.test(cell)) ? Number(cell) : cell;
    }
    yield { line: item.line, value };
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
