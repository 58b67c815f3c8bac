/**
 * The one CSV reader of the project ({@link readCsvRecords}) and the dataset reader built on it
 * ({@link parseCsv}); the trainer's numeric tables are read with it too (`numeric-table.ts`).
 */

import { pipeline } from 'node:stream/promises';
import { parse as csvParser } from 'csv-parse';
import { DatasetError } from '#contracts/errors.ts';

import type { Dataset } from '#domain/quality.ts';
import {
  assertUniqueSpecs,
  builderFor,
  type ColumnBuilder,
  type ColumnSpec,
  finishDataset,
} from './columns.ts';
import { type DatasetInput, inputStream } from './input.ts';

/** How every CSV of the project is read: BOM dropped, cells trimmed, blank lines skipped. */
const CSV_OPTIONS = { bom: true, trim: true, skip_empty_lines: true } as const;

/** Called with each record (the header row is the first) and the 1-based file line it ends on. */
export type CsvRecordHandler = (record: string[], line: number) => void;

/**
 * Streams the records of a CSV file to `onRecord`, one at a time, keeping none: a UTF-8 byte-order mark is
 * dropped, cells are trimmed, blank and whitespace-only lines are skipped, quoted cells may hold commas,
 * quotes and line breaks, and every record must have as many fields as the first.
 * @throws CsvError (csv-parse's, with the file line in `lines`) for a malformed file: an unclosed quote, a
 * record with the wrong number of fields. Errors of the input and of `onRecord` are thrown as they are.
 */
export async function readCsvRecords(input: DatasetInput, onRecord: CsvRecordHandler): Promise<void> {
  const parser = csvParser({
    ...CSV_OPTIONS,
    on_record: (record: string[], context: { lines: number }) => {
      onRecord(record, context.lines);
      // Nothing is buffered: every record goes straight to the handler.
      return null;
    },
  });
  await pipeline(inputStream(input), parser, async (records: AsyncIterable<unknown>) => {
    for await (const _ of records);
  });
}

/** The columns of a text dataset read in one pass: row count, the specs (inferred when none were asked) and builders. */
export interface ReadColumns {
  rows: number;
  specs: readonly ColumnSpec[];
  builders: Map<string, ColumnBuilder>;
}

/** Makes the builder of one requested column. */
export type BuilderFactory = (spec: ColumnSpec) => ColumnBuilder;

const inMemory: BuilderFactory = (spec) => builderFor(spec.type, 1024);

/**
 * Reads CSV with a header row into builders made by `make`; only the requested columns are kept (all of them,
 * as labels, when `columns` is omitted). @throws DatasetError as {@link parseCsv}.
 */
export async function readCsvColumns(
  input: DatasetInput,
  columns: readonly ColumnSpec[] | undefined,
  source: string,
  make: BuilderFactory = inMemory,
): Promise<ReadColumns> {
  if (columns) assertUniqueSpecs(columns);
  let specs = columns;
  const bound: [number, ColumnBuilder][] = [];
  const builders = new Map<string, ColumnBuilder>();
  let header: string[] | undefined;
  let rows = 0;
  try {
    await readCsvRecords(input, (record, line) => {
      if (header === undefined) {
        header = record;
        specs ??= record.map((name) => ({ name, type: 'categorical' as const }));
        for (const spec of specs) {
          const index = record.indexOf(spec.name);
          if (index < 0) continue;
          const builder = make(spec);
          builders.set(spec.name, builder);
          bound.push([index, builder]);
        }
        return;
      }
      for (const [index, builder] of bound) builder.put(rows, record[index], line);
      rows++;
    });
  } catch (error) {
    throw new DatasetError(`${source}: ${(error as Error).message}`, { cause: error });
  }
  if (header) {
    const duplicate = header.find((name, index) => header?.indexOf(name) !== index && builders.has(name));
    if (duplicate !== undefined)
      throw new DatasetError(`${source}: column "${duplicate}" appears twice in the header`);
  }
  return { rows, specs: specs ?? [], builders };
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
  const { rows, specs, builders } = await readCsvColumns(input, columns, source);
  return finishDataset(source, rows, specs, builders);
}

/**
 * One CSV text from several with the same header (daily objects of one dataset): the header once, then every
 * part's rows in order. @throws DatasetError naming the part whose header differs from the first.
 */
export function concatenateCsv(parts: readonly { source: string; text: string }[]): string {
  const [first, ...rest] = parts;
  if (!first) return '';
  if (rest.length === 0) return first.text;
  const split = (text: string) => {
    const body = text.replace(/^\uFEFF/, '');
    const end = body.indexOf('\n');
    const header = (end < 0 ? body : body.slice(0, end)).trim();
    const rows = end < 0 ? '' : body.slice(end + 1);
    return { header, rows: rows === '' || rows.endsWith('\n') ? rows : `${rows}\n` };
  };
  const head = split(first.text);
  let text = `${head.header}\n${head.rows}`;
  for (const part of rest) {
    const { header, rows } = split(part.text);
    if (header !== head.header) {
      throw new DatasetError(
        `${part.source}: its header "${header.slice(0, 200)}" differs from "${head.header.slice(0, 200)}" of ${first.source}`,
      );
    }
    text += rows;
  }
  return text;
}
