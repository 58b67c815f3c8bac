import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { type Observation, parseObservation, type RejectedRow } from '#domain/observations.ts';
import { UsageError } from './io.ts';

/** A decoded row with its 1-based line number in the file, or why it could not be decoded. */
export type RawRow = { line: number; value: unknown } | { line: number; error: string };

const NUMERIC = new Set(['value', 'count', 'score']);

/** Reads JSON Lines (`.jsonl`, `.ndjson`, `.json`) one object per line; blank lines are skipped. */
export async function* readJsonLines(path: string): AsyncGenerator<RawRow> {
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (error) {
      yield { line, error: `invalid JSON: ${(error as Error).message}` };
    }
  }
}

/** Reads CSV with a header row; empty cells are omitted, numeric columns are converted. */
export async function* readCsv(path: string): AsyncGenerator<RawRow> {
  const parser = createReadStream(path, 'utf8').pipe(
    parse({ columns: true, skip_empty_lines: true, trim: true, info: true, relax_column_count: true }),
  );
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    const value: Record<string, unknown> = {};
    for (const [key, cell] of Object.entries(record)) {
      if (cell === '' || cell === undefined) continue;
      // Numbers become numbers (NaN and Infinity included, which validation rejects by name); other text stays text.
      value[key] = NUMERIC.has(key) && /^[-+]?(\d|\.\d|NaN$|Infinity$)/.test(cell) ? Number(cell) : cell;
    }
    yield { line: info.lines, value };
  }
}

/** Picks the reader by file extension. */
export function readRows(path: string): AsyncGenerator<RawRow> {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return readCsv(path);
  if (['.jsonl', '.ndjson', '.json'].includes(extension)) return readJsonLines(path);
  throw new UsageError(`${path}: unknown file type "${extension}"; use .jsonl, .ndjson, .json or .csv`);
}

export interface IngestResult {
  stored: number;
  rejected: RejectedRow[];
}

/**
 * Validates every row and hands valid observations to `store` in batches; invalid rows (bad JSON, missing
 * fields, non-finite numbers, negative counts, bad timestamps, unknown models) are collected with their line.
 */
export async function ingestRows(
  rows: AsyncIterable<RawRow>,
  knownModels: ReadonlySet<string>,
  store: (batch: Observation[]) => Promise<unknown>,
  batchSize = 500,
): Promise<IngestResult> {
  const rejected: RejectedRow[] = [];
  let batch: Observation[] = [];
  let stored = 0;
  for await (const row of rows) {
    if ('error' in row) {
      rejected.push({ line: row.line, reason: row.error });
      continue;
    }
    const result = parseObservation(row.value);
    if (!result.ok) {
      rejected.push({ line: row.line, reason: result.reason });
      continue;
    }
    if (!knownModels.has(result.observation.modelId)) {
      rejected.push({
        line: row.line,
        reason: `modelId: model "${result.observation.modelId}" is not registered`,
      });
      continue;
    }
    batch.push(result.observation);
    if (batch.length >= batchSize) {
      await store(batch);
      stored += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await store(batch);
    stored += batch.length;
  }
  return { stored, rejected };
}
