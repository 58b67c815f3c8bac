/**
 * Column builders for reading a text dataset (CSV, JSON Lines) in one pass and handing it out one column at a
 * time: numbers in Float64Array chunks, labels as Int32Array codes into a dictionary; the chunks stay in memory up
 * to a byte budget shared by every column of the dataset and go to one file per column in a temporary folder
 * beyond it, so a wide, long file costs disk, not memory.
 */

import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecodedArray } from 'hyparquet';
import type { ColumnType } from '#domain/quality.ts';
import type { ColumnBuilder } from './columns.ts';
import { toCategory, toNumber } from './values.ts';

/** Values per chunk: 512 KiB of numbers, 256 KiB of codes. */
const CHUNK = 65_536;

/** Bytes of chunks a dataset keeps in memory before it writes them to disk. @default 64 MiB */
export const DEFAULT_SPILL_MEMORY_BYTES = 64 * 1024 * 1024;

/** The chunks' memory budget of one dataset and its temporary folder (made at the first spilled chunk). */
export class Spill {
  private held = 0;
  private folder: string | undefined;
  private files = 0;

  constructor(
    private readonly budget = DEFAULT_SPILL_MEMORY_BYTES,
    private readonly parent = tmpdir(),
  ) {}

  /** Whether a chunk of `bytes` may stay in memory (counted until {@link release}). */
  keep(bytes: number): boolean {
    if (this.held + bytes > this.budget) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }

  /** A new file in the temporary folder, opened for writing and reading. */
  open(): { fd: number; path: string } {
    this.folder ??= mkdtempSync(join(this.parent, 'kaizen-columns-'));
    const path = join(this.folder, `${this.files++}.bin`);
    return { fd: openSync(path, 'w+'), path };
  }

  /** Removes the temporary folder (every column's file). */
  close(): void {
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
  }
}

type Chunk = Float64Array | Int32Array;

/** Chunks of one column: the first ones in memory while the budget allows, the rest in the column's file. */
class ChunkedColumn<T extends Chunk> {
  private memory: T[] = [];
  private file: { fd: number; path: string } | undefined;
  private onDisk = 0;
  private tail: T;
  private filled = 0;
  length = 0;

  constructor(
    private readonly spill: Spill,
    private readonly make: (size: number) => T,
  ) {
    this.tail = make(CHUNK);
  }

  push(value: number): void {
    this.tail[this.filled++] = value;
    this.length++;
    if (this.filled < CHUNK) return;
    // Once a chunk went to disk every later one does too, so the file keeps the rows in order after memory's.
    if (this.file === undefined && this.spill.keep(this.tail.byteLength)) this.memory.push(this.tail);
    else {
      this.file ??= this.spill.open();
      writeSync(this.file.fd, new Uint8Array(this.tail.buffer, 0, this.tail.byteLength));
      this.onDisk += CHUNK;
    }
    this.tail = this.make(CHUNK);
    this.filled = 0;
  }

  /** Every value in row order into `out` (`length` values), then frees the chunks and the file. */
  drain(out: T): void {
    let at = 0;
    for (const chunk of this.memory) {
      out.set(chunk, at);
      at += chunk.length;
      this.spill.release(chunk.byteLength);
    }
    this.memory = [];
    if (this.file) {
      const bytes = new Uint8Array(
        out.buffer,
        at * out.BYTES_PER_ELEMENT,
        this.onDisk * out.BYTES_PER_ELEMENT,
      );
      for (let read = 0; read < bytes.byteLength; ) {
        const n = readSync(this.file.fd, bytes, read, bytes.byteLength - read, read);
        if (n === 0) throw new Error(`${this.file.path}: ended after ${read} of ${bytes.byteLength} bytes`);
        read += n;
      }
      at += this.onDisk;
      this.dispose();
    }
    out.set(this.tail.subarray(0, this.filled), at);
  }

  dispose(): void {
    if (!this.file) return;
    closeSync(this.file.fd);
    rmSync(this.file.path, { force: true });
    this.file = undefined;
  }
}

function where(row: number, line: number): string {
  return line >= 0 ? `line ${line}` : `row ${row + 1}`;
}

/** A spilled column: a {@link ColumnBuilder} whose values are read back once by `finish`. */
export interface SpillBuilder extends ColumnBuilder {
  /** Frees the column's chunks and file without reading them. */
  dispose(): void;
}

/** Numbers; NaN for missing and for values that are not numbers (counted as violations). */
class SpillNumericBuilder implements SpillBuilder {
  private readonly column: ChunkedColumn<Float64Array>;
  violations = 0;
  private first: string | undefined;

  constructor(spill: Spill) {
    this.column = new ChunkedColumn(spill, (size) => new Float64Array(size));
  }

  put(row: number, value: unknown, line: number): void {
    while (this.column.length < row) this.column.push(Number.NaN);
    const number = toNumber(value);
    if (number === undefined) {
      this.violations++;
      this.first ??= `${JSON.stringify(typeof value === 'string' ? value : String(value))} on ${where(row, line)}`;
      this.column.push(Number.NaN);
    } else this.column.push(number);
  }

  putChunk(rowStart: number, data: DecodedArray, limit: number): void {
    const count = Math.min(data.length, limit - rowStart);
    for (let i = 0; i < count; i++) this.put(rowStart + i, data[i], -1);
  }

  finish(rows: number): Float64Array {
    const out = new Float64Array(rows);
    const length = Math.min(this.column.length, rows);
    if (this.column.length <= rows) this.column.drain(out);
    else {
      const all = new Float64Array(this.column.length);
      this.column.drain(all);
      out.set(all.subarray(0, rows));
    }
    for (let i = length; i < rows; i++) out[i] = Number.NaN;
    return out;
  }

  violation(): string | undefined {
    return this.first;
  }

  dispose(): void {
    this.column.dispose();
  }
}

/** Labels as codes into a dictionary (-1 for missing): four bytes a row, each distinct label stored once. */
class SpillCategoryBuilder implements SpillBuilder {
  private readonly column: ChunkedColumn<Int32Array>;
  private readonly codes = new Map<string, number>();
  private readonly labels: string[] = [];
  readonly violations = 0;

  constructor(spill: Spill) {
    this.column = new ChunkedColumn(spill, (size) => new Int32Array(size));
  }

  put(row: number, value: unknown): void {
    while (this.column.length < row) this.column.push(-1);
    const label = toCategory(value);
    if (label === null) {
      this.column.push(-1);
      return;
    }
    let code = this.codes.get(label);
    if (code === undefined) {
      code = this.labels.length;
      this.codes.set(label, code);
      this.labels.push(label);
    }
    this.column.push(code);
  }

  putChunk(rowStart: number, data: DecodedArray, limit: number): void {
    const count = Math.min(data.length, limit - rowStart);
    for (let i = 0; i < count; i++) this.put(rowStart + i, data[i]);
  }

  finish(rows: number): (string | null)[] {
    const codes = new Int32Array(this.column.length);
    this.column.drain(codes);
    const out = new Array<string | null>(rows);
    for (let i = 0; i < rows; i++) {
      const code = i < codes.length ? (codes[i] as number) : -1;
      out[i] = code < 0 ? null : (this.labels[code] as string);
    }
    return out;
  }

  violation(): undefined {
    return undefined;
  }

  dispose(): void {
    this.column.dispose();
  }
}

/** A spilled builder for a column of `type`, sharing `spill`'s budget and folder. */
export function spillBuilderFor(type: ColumnType, spill: Spill): SpillBuilder {
  return type === 'numeric' ? new SpillNumericBuilder(spill) : new SpillCategoryBuilder(spill);
}
