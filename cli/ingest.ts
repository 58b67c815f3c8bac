import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { OBSERVATION_NUMBERS, type RawRow, readRows as readRowsOf, rowsFormat } from '#datasets/rows.ts';
import { UsageError } from './io.ts';

/** The rows of a local observation file (`.jsonl`, `.ndjson`, `.json` or `.csv`), streamed. */
export function readRows(path: string): AsyncGenerator<RawRow> {
  const format = rowsFormat(path);
  if (!format) {
    throw new UsageError(
      `${path}: unknown file type "${extname(path).toLowerCase()}"; use .jsonl, .ndjson, .json or .csv`,
    );
  }
  return readRowsOf(createReadStream(path), format, OBSERVATION_NUMBERS);
}
