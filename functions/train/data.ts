import { createHash } from 'node:crypto';
import { CsvError } from 'csv-parse';
import { DataError, DatasetError } from '#contracts/errors.ts';
import { parseFiniteNumber, readCsvRecords } from '#datasets/index.ts';
import { headerProblem } from '#datasets/numeric-table.ts';
import { datedKeys } from '#domain/dated-keys.ts';
import { durationSeconds } from '#domain/duration.ts';
import { builtinTraining, type ModelPolicy } from '#domain/policy.ts';
import { type NumericTable, ProblemList } from '#domain/table.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { copyObject, createObjectWriter, getStream } from '#stores/artifacts.ts';
import { s3Uri } from '#stores/objects.ts';

/** A CSV dataset of the bucket as read for a run: the objects it came from, their hash, the table. */
export interface RunDataset {
  /** The object keys read, oldest first (one, unless the key names daily objects). */
  keys: string[];
  /**
   * SHA-256 (hex) of the dataset's text (daily objects joined under one header; one object as it is): the
   * data's identity in lineage and gate reasons. The same value as before reading became a stream.
   */
  sha256: string;
  /** The requested columns as numbers. */
  table: NumericTable;
  /** The snapshot asked for with `snapshotKey`, written only by `commit()`. */
  snapshot?: PendingSnapshot;
}

/** A copy of the dataset's text under another key, made visible only when the run keeps it. */
export interface PendingSnapshot {
  key: string;
  /** Writes the snapshot: a server-side copy of one object, or completes the upload of the joined text. */
  commit(): Promise<void>;
  /** Drops it (a failed training run keeps no snapshot). */
  abort(): Promise<void>;
}

export interface ReadRunDatasetOptions {
  /** Also write the dataset's text there (see {@link PendingSnapshot}). */
  snapshotKey?: string;
}

/** Rows of the table before it first grows. */
const INITIAL_ROWS = 16_384;

/** One object of the dataset: where its lines begin in the joined text, for messages that name it. */
interface Part {
  source: string;
  /** Line of the joined text holding the object's line 2 (its first row). */
  firstRowLine: number;
}

/**
 * Reads the CSV a key template names for a run as of `asOf`: the one object, or with `{date}` every daily
 * object of `window` (default: the policy's monitoring window) before `asOf`, joined under one header (the
 * headers must agree), and keeps the built-in trainer's features and label as numbers. Streams: each object
 * is read once, in order, as it arrives; the text is hashed, copied to the snapshot and parsed on the way, and
 * only the requested columns are kept (a 200 MB CSV is never held as text).
 * A missing object fails with `ObjectNotFoundError` naming its key; bad cells and labels other than 0/1 fail
 * with {@link DataError} naming the object and its line (`s3://bucket/key:line: ...`), up to 10 at once.
 */
export async function readRunDataset(
  ctx: KaizenContext,
  template: string,
  asOf: string,
  window: string | undefined,
  policy: ModelPolicy,
  options: ReadRunDatasetOptions = {},
): Promise<RunDataset> {
  const keys = datedKeys(template, asOf, durationSeconds(window ?? policy.window));
  const { features, label } = builtinTraining(policy);
  const uri = (key: string) => s3Uri(ctx, key);
  const source = keys.length === 1 ? uri(template) : `${keys.length} daily objects of ${template}`;
  const hash = createHash('sha256');
  const parts: Part[] = [];
  let etag: string | undefined;
  // One object: the snapshot is a server-side copy of the version read. Several: the joined text, uploaded.
  const writer =
    options.snapshotKey !== undefined && keys.length > 1
      ? createObjectWriter(ctx, options.snapshotKey, 'text/csv')
      : undefined;

  // For the table's size: bytes and line breaks read so far, bytes of the objects opened.
  const read = { bytes: 0 };
  let newlines = 0;
  let opened = 0;
  let openedBytes = 0;
  const expectedRows = (): number | undefined => {
    if (newlines === 0 || read.bytes === 0 || openedBytes === 0) return undefined;
    // Daily objects not opened yet are taken to be as large as the ones opened.
    return ((openedBytes / opened) * keys.length * newlines) / read.bytes;
  };

  async function* text(): AsyncGenerator<string> {
    const emit = async (chunk: string): Promise<string> => {
      hash.update(chunk, 'utf8');
      await writer?.write(chunk);
      for (let at = chunk.indexOf('\n'); at >= 0; at = chunk.indexOf('\n', at + 1)) newlines++;
      return chunk;
    };
    let header: string | undefined;
    for (const key of keys) {
      const object = await getStream(ctx, key);
      etag = object.etag;
      opened += 1;
      openedBytes += object.size ?? 0;
      // As `getText` decoded: UTF-8, a byte-order mark kept, bad bytes replaced.
      const chunks = decode(object.body, read);
      if (keys.length === 1) {
        parts.push({ source: uri(key), firstRowLine: 2 });
        for await (const chunk of chunks) yield await emit(chunk);
        continue;
      }
      // Daily objects: the header once (trimmed, byte-order mark dropped), then every object's rows, each
      // ending in a line break, exactly as `concatenateCsv` joins texts.
      let head = '';
      let inRows = false;
      let last = '\n';
      for await (const chunk of chunks) {
        if (inRows) {
          if (chunk !== '') last = chunk;
          yield await emit(chunk);
          continue;
        }
        head += chunk;
        const end = head.indexOf('\n');
        if (end < 0) continue;
        header = checkHeader(head.slice(0, end), header, uri(key), uri(keys[0] as string));
        if (parts.length === 0) yield await emit(`${header}\n`);
        parts.push({ source: uri(key), firstRowLine: newlines + 1 });
        inRows = true;
        const rows = head.slice(end + 1);
        head = '';
        if (rows !== '') {
          last = rows;
          yield await emit(rows);
        }
      }
      if (!inRows) {
        header = checkHeader(head, header, uri(key), uri(keys[0] as string));
        if (parts.length === 0) yield await emit(`${header}\n`);
        parts.push({ source: uri(key), firstRowLine: newlines + 1 });
      } else if (!last.endsWith('\n')) {
        yield await emit('\n');
      }
    }
  }

  let table: NumericTable;
  try {
    table = await readNumericCsv(text(), [...features, label], {
      source,
      label,
      locate: locator(parts),
      expectedRows,
    });
  } catch (error) {
    await writer?.abort();
    throw error;
  }
  const snapshotKey = options.snapshotKey;
  const snapshot: PendingSnapshot | undefined =
    snapshotKey === undefined
      ? undefined
      : writer
        ? { key: snapshotKey, commit: () => writer.complete(), abort: () => writer.abort() }
        : {
            key: snapshotKey,
            commit: () =>
              copyObject(ctx, keys[0] as string, snapshotKey, { contentType: 'text/csv', ifMatch: etag }),
            abort: async () => {},
          };
  return { keys, sha256: hash.digest('hex'), table, ...(snapshot ? { snapshot } : {}) };
}

/** The header line of a daily object, trimmed and without a byte-order mark; must equal the first's. */
function checkHeader(line: string, first: string | undefined, source: string, firstSource: string): string {
  const header = line.replace(/^\uFEFF/, '').trim();
  if (first !== undefined && header !== first) {
    throw new DatasetError(
      `${source}: its header "${header.slice(0, 200)}" differs from "${first.slice(0, 200)}" of ${firstSource}`,
    );
  }
  return header;
}

/** Byte chunks as UTF-8 text chunks (a character split across chunks is decoded whole), counting the bytes. */
async function* decode(body: AsyncIterable<Uint8Array>, read: { bytes: number }): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  for await (const chunk of body) {
    read.bytes += chunk.byteLength;
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

/** `source:line` of a line of the joined text, in the object it came from. */
function locator(parts: readonly Part[]): (line: number) => string {
  return (line) => {
    let index = parts.length - 1;
    while (index > 0 && (parts[index] as Part).firstRowLine > line) index--;
    const part = parts[index] as Part;
    return `${part.source}:${line - part.firstRowLine + 2}`;
  };
}

export interface NumericCsvOptions {
  /** Names the input in messages. */
  source: string;
  /** A column that must hold 0 or 1 (the label). */
  label?: string;
  /** `file:line` of a line of the input (default: `${source}:${line}`). */
  locate?: (line: number) => string;
  /**
   * How many rows the whole input probably has (e.g. its size times the line breaks per byte read so far),
   * asked when the first rows have filled the table: the table then grows once to that size (plus 10%)
   * instead of doubling, so it is never held twice. Undefined: doubling.
   */
  expectedRows?: () => number | undefined;
}

/**
 * Reads the requested numeric columns of a CSV (text or byte chunks, read as they come) into a
 * {@link NumericTable}, keeping only those columns. The table starts at {@link INITIAL_ROWS} rows and grows
 * to `expectedRows` (else doubles); the result is a view of the rows read (no final copy). Other columns may
 * hold anything; blank lines are skipped; `table.lines` are lines of the input (header = 1).
 * @throws DataError for a malformed file, a missing or repeated column, a cell that is not a finite number or a
 * label other than 0/1 (the problems name `file:line`, up to 10), or no data rows.
 */
export async function readNumericCsv(
  input: AsyncIterable<string | Uint8Array> | string,
  columns: readonly string[],
  options: NumericCsvOptions,
): Promise<NumericTable> {
  const { source, label } = options;
  const locate = options.locate ?? ((line: number) => `${source}:${line}`);
  if (new Set(columns).size !== columns.length)
    throw new RangeError(`columns listed twice: ${columns.join(', ')}`);
  const width = columns.length;
  const labelColumn = label === undefined ? -1 : columns.indexOf(label);
  let capacity = INITIAL_ROWS;
  let values = new Float64Array(capacity * width);
  let lines = new Int32Array(capacity);
  let indexes: number[] | undefined;
  let header: string[] | undefined;
  let problem: string | undefined;
  let rows = 0;
  const problems = new ProblemList();
  const grow = (): void => {
    const expected = options.expectedRows?.();
    const next =
      expected !== undefined && expected * 1.1 > capacity * 1.25
        ? Math.ceil(expected * 1.1) + INITIAL_ROWS
        : capacity * 2;
    const grownValues = new Float64Array(next * width);
    grownValues.set(values);
    values = grownValues;
    const grownLines = new Int32Array(next);
    grownLines.set(lines);
    lines = grownLines;
    capacity = next;
  };
  try {
    await readCsvRecords(input, (record, line) => {
      if (header === undefined) {
        header = record;
        problem = headerProblem(record, columns, source);
        if (problem === undefined) indexes = columns.map((name) => record.indexOf(name));
        return;
      }
      if (indexes === undefined) return;
      if (rows === capacity) grow();
      lines[rows] = line;
      const offset = rows * width;
      for (let col = 0; col < width; col++) {
        const cell = record[indexes[col] as number] as string;
        const value = parseFiniteNumber(cell);
        if (value === undefined) {
          problems.add(`${locate(line)}: column "${columns[col]}": "${cell}" is not a finite number`);
        } else if (col === labelColumn && value !== 0 && value !== 1) {
          problems.add(`${locate(line)}: label "${label}" is ${value}, expected 0 or 1`);
        } else {
          values[offset + col] = value;
        }
      }
      rows++;
    });
  } catch (error) {
    if (error instanceof CsvError) {
      const message = `${locate(Number(error.lines))}: ${error.message}`;
      throw new DataError(message, [message]);
    }
    throw error;
  }
  if (header === undefined) throw new DataError(`${source}: empty file, no header row`, ['no header row']);
  if (problem !== undefined) throw new DataError(problem, [problem]);
  if (rows === 0) throw new DataError(`${source}: no data rows`, ['no data rows']);
  problems.throwIfAny(source);
  return {
    columns: [...columns],
    rows,
    values: values.subarray(0, rows * width),
    source,
    lines: lines.subarray(0, rows),
  };
}
