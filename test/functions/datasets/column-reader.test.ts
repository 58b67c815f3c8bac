import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ColumnReader,
  type ColumnSpec,
  type Dataset,
  openParquet,
  openTextColumns,
  parseCsv,
  parseJsonLines,
  parseParquet,
} from '#datasets/index.ts';
import { mulberry32 } from '#domain/random.ts';
import { CSV, JSONL, SPECS } from '../../support/datasets.ts';
import { parquetBytes } from '../../support/parquet.ts';

/** More rows than one spill chunk (65,536 values), so a small budget sends chunks to disk. */
const ROWS = 70_000;
const WIDE_SPECS: ColumnSpec[] = [
  { name: 'x', type: 'numeric' },
  { name: 'plan', type: 'categorical' },
  { name: 'y', type: 'numeric' },
  { name: 'gone', type: 'numeric' },
];

function wideCsv(): string {
  const next = mulberry32(7);
  const lines = ['x,plan,y'];
  for (let i = 0; i < ROWS; i++) {
    const x = i % 997 === 0 ? 'NA' : i % 1999 === 0 ? 'oops' : String(next() * 100 - 50);
    const plan = i % 13 === 0 ? '' : ['basic', 'pro', 'plus'][Math.floor(next() * 3)];
    lines.push(`${x},${plan},${(i % 50) * 0.1}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Every column of `reader` asked for in `specs` order, as a dataset of the whole-file readers would hold them. */
async function drain(reader: ColumnReader, specs: readonly ColumnSpec[]) {
  const columns: Record<string, unknown> = {};
  const violations: Record<string, number> = {};
  for (const spec of specs) {
    if (!reader.has(spec.name)) continue;
    const { values, typeViolations } = await reader.column(spec);
    columns[spec.name] = values;
    if (spec.type === 'numeric') violations[spec.name] = typeViolations;
  }
  return { rows: reader.rows, columns, violations };
}

function whole(dataset: Dataset) {
  return { rows: dataset.rows, columns: dataset.columns, violations: dataset.typeViolations };
}

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
function tmp(): string {
  const folder = mkdtempSync(join(tmpdir(), 'kaizen-reader-test-'));
  folders.push(folder);
  return folder;
}

describe('openTextColumns', () => {
  it.each([
    ['in memory', 64 * 1024 * 1024],
    ['spilled to disk (no memory budget)', 0],
    ['partly spilled', 1024 * 1024],
  ])('hands out the same columns as parseCsv, %s, and leaves no file behind', async (_case, memoryBytes) => {
    const text = wideCsv();
    const folder = tmp();
    const reader = await openTextColumns(text, 'csv', WIDE_SPECS, 'wide.csv', {
      memoryBytes,
      tmpDir: folder,
    });
    if (memoryBytes === 0) expect(readdirSync(folder)).toHaveLength(1);
    const expected = whole(await parseCsv(text, WIDE_SPECS, 'wide.csv'));
    expect(reader.has('gone')).toBe(false);
    expect(await drain(reader, WIDE_SPECS)).toEqual(expected);
    await reader.close();
    expect(readdirSync(folder)).toEqual([]);
  });

  it('reads JSON Lines as parseJsonLines does, keys absent from a row being missing', async () => {
    const folder = tmp();
    const reader = await openTextColumns(JSONL, 'jsonl', SPECS, 'w.jsonl', {
      memoryBytes: 0,
      tmpDir: folder,
    });
    expect(await drain(reader, SPECS)).toEqual(whole(await parseJsonLines(JSONL, SPECS, 'w.jsonl')));
    await reader.close();
  });

  it('reads the small CSV fixture as parseCsv does', async () => {
    const reader = await openTextColumns(CSV, 'csv', SPECS, 'w.csv');
    expect(await drain(reader, SPECS)).toEqual(whole(await parseCsv(CSV, SPECS, 'w.csv')));
    await reader.close();
  });

  it('a malformed file fails naming the line, and leaves no file behind', async () => {
    const folder = tmp();
    const text = `${wideCsv()}1,2\n`;
    await expect(
      openTextColumns(text, 'csv', WIDE_SPECS, 'bad.csv', { memoryBytes: 0, tmpDir: folder }),
    ).rejects.toThrow(/bad\.csv.*line/);
    const left = readdirSync(folder).filter((name) => existsSync(join(folder, name)));
    expect(left).toEqual([]);
  });

  it('hands a column out once', async () => {
    const reader = await openTextColumns(CSV, 'csv', SPECS, 'w.csv');
    const [first] = SPECS as [ColumnSpec];
    await reader.column(first);
    await expect(reader.column(first)).rejects.toThrow(`column "${first.name}"`);
    await reader.close();
  });
});

describe('openParquet', () => {
  it('hands out the same columns as parseParquet, reading ahead within its budget', async () => {
    const next = mulberry32(11);
    const columns = {
      x: Float64Array.from({ length: 5000 }, () => next()),
      plan: Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? null : (['a', 'b', 'c'][i % 3] as string))),
      y: Array.from({ length: 5000 }, (_, i) => (i % 11 === 0 ? null : i * 0.5)),
    };
    const bytes = parquetBytes(columns, { rowGroupSize: 1000 });
    // Room for one decoded column at a time, then for all of them: same values either way.
    for (const readAheadBytes of [5000 * 8, 1 << 20]) {
      const reader = await openParquet(bytes, WIDE_SPECS, 'w.parquet', { readAheadBytes });
      expect(reader.has('gone')).toBe(false);
      expect(await drain(reader, WIDE_SPECS)).toEqual(
        whole(await parseParquet(bytes, WIDE_SPECS, 'w.parquet')),
      );
      await reader.close();
    }
  });
});
