import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataError } from '#contracts/errors.ts';

import { parseNumericTable } from '#datasets/index.ts';

import { MAX_LISTED_PROBLEMS } from '#domain/table.ts';

/** The DataError `promise` rejects with; fails the test if it resolves or rejects with another kind of error. */
async function dataError(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a DataError');
    },
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

describe('parseNumericTable', () => {
  it('reads the requested columns in the requested order, row-major, ignoring other columns', async () => {
    const csv = 'id,b,a,note\nx1,1.5,-2,hello\nx2,3,4e2,"with, comma"\n';
    const table = await parseNumericTable(csv, ['a', 'b'], { source: 'train.csv' });
    expect(table.columns).toEqual(['a', 'b']);
    expect(table.rows).toBe(2);
    expect(Array.from(table.values)).toEqual([-2, 1.5, 400, 3]);
    expect(table.source).toBe('train.csv');
  });

  it.each([
    ['CRLF line endings', 'a,b\r\n1,2\r\n3,4\r\n', [2, 3]],
    ['no trailing newline', 'a,b\n1,2\n3,4', [2, 3]],
    ['blank and whitespace-only lines', 'a,b\n\n1,2\n   \n3,4\n\n', [3, 5]],
    ['a UTF-8 byte order mark', '\uFEFFa,b\n1,2\n3,4\n', [2, 3]],
    ['spaces around cells and quoted numbers', ' a , b \n 1 ,"2"\n3, 4 \n', [2, 3]],
  ])('accepts %s and records each row’s file line', async (_, csv, lines) => {
    const table = await parseNumericTable(csv, ['a', 'b']);
    expect(Array.from(table.values)).toEqual([1, 2, 3, 4]);
    expect(Array.from(table.lines ?? [])).toEqual(lines);
  });

  it.each([
    ['integer', '42', 42],
    ['negative decimal', '-0.25', -0.25],
    ['leading plus', '+7', 7],
    ['leading dot', '.5', 0.5],
    ['trailing dot', '5.', 5],
    ['scientific', '1.5e-3', 0.0015],
    ['scientific upper case', '-2E+2', -200],
  ])('parses a %s cell', async (_, cell, expected) => {
    expect((await parseNumericTable(`x\n${cell}\n`, ['x'])).values[0]).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['text', 'abc'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
    ['overflowing', '1e400'],
    ['hexadecimal', '0x10'],
    ['number with a unit', '12kg'],
    ['thousands separator', '1_000'],
  ])('rejects a %s cell with file, line, column and value', async (_, cell) => {
    const error = await dataError(
      parseNumericTable(`a,b\n1,2\n3,${cell}\n`, ['a', 'b'], { source: 'data.csv' }),
    );
    expect(error.message).toBe(`data.csv:3: column "b": "${cell}" is not a finite number`);
    expect(error.problems).toEqual([error.message]);
  });

  it('does not check columns that were not requested', async () => {
    const table = await parseNumericTable('a,comment\n1,n/a\n2,\n', ['a']);
    expect(Array.from(table.values)).toEqual([1, 2]);
  });

  it('lists at most 10 problems and counts the rest', async () => {
    const body = Array.from({ length: 15 }, (_, i) => `${i},bad`).join('\n');
    const error = await dataError(
      parseNumericTable(`a,b\n${body}\n`, ['a', 'b'], { source: 's3://b/k.csv' }),
    );
    expect(error.problems).toHaveLength(MAX_LISTED_PROBLEMS);
    expect(error.totalProblems).toBe(15);
    expect(error.problems[0]).toBe('s3://b/k.csv:2: column "b": "bad" is not a finite number');
    expect(error.problems[9]).toBe('s3://b/k.csv:11: column "b": "bad" is not a finite number');
    expect(error.message).toMatch(/^s3:\/\/b\/k\.csv: 15 problems:\n/);
    expect(error.message).toContain('... and 5 more');
    expect(error.message).not.toContain(':12:');
  });

  it.each([
    ['one missing column', ['a', 'z'], 'train.csv: missing column "z" (header: a, b)'],
    ['several missing columns', ['y', 'a', 'z'], 'train.csv: missing columns "y", "z" (header: a, b)'],
  ])('names %s and the source', async (_, columns, message) => {
    const error = await dataError(parseNumericTable('a,b\n1,2\n', columns, { source: 'train.csv' }));
    expect(error.message).toBe(message);
  });

  it.each([
    ['a header only', 'a,b\n', 'f.csv: no data rows'],
    ['a header and blank lines', 'a,b\n\n\n', 'f.csv: no data rows'],
    ['empty text', '', 'f.csv: empty file, no header row'],
    [
      'a requested column twice in the header',
      'a,b,a\n1,2,3\n',
      'f.csv: column "a" appears more than once in the header',
    ],
  ])('rejects %s', async (_, csv, message) => {
    expect((await dataError(parseNumericTable(csv, ['a', 'b'], { source: 'f.csv' }))).message).toBe(message);
  });

  it.each([
    ['a short row', 'a,b\n1,2\n3\n', /^f\.csv:3: Invalid Record Length: expect 2, got 1 on line 3$/],
    ['a long row', 'a,b\n1,2\n3,4\n5,6,7\n', /^f\.csv:4: Invalid Record Length/],
    ['an unclosed quote', 'a,b\n1,"2\n', /^f\.csv:2: Quote Not Closed/],
  ])('turns CSV syntax errors into a DataError with the line: %s', async (_, csv, message) => {
    expect((await dataError(parseNumericTable(csv, ['a', 'b'], { source: 'f.csv' }))).message).toMatch(
      message,
    );
  });

  it('names the default source "csv" when none is given', async () => {
    expect((await dataError(parseNumericTable('a\nx\n', ['a']))).message).toBe(
      'csv:2: column "a": "x" is not a finite number',
    );
  });

  it('rejects a column requested twice as a programming error', async () => {
    await expect(parseNumericTable('a\n1\n', ['a', 'a'])).rejects.toThrow(RangeError);
  });

  it('reads back every finite double written with String()', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()), {
          minLength: 1,
        }),
        async (rows) => {
          const csv = `x,y\n${rows.map(([x, y]) => `${x},${y}`).join('\n')}\n`;
          const table = await parseNumericTable(csv, ['y', 'x']);
          expect(table.rows).toBe(rows.length);
          // -0 prints as "0", so compare with === rather than Object.is.
          rows.forEach(([x, y], i) => {
            expect(table.values[2 * i] === y).toBe(true);
            expect(table.values[2 * i + 1] === x).toBe(true);
          });
        },
      ),
    );
  });
});

describe('parseNumericTable beyond one string', () => {
  const csv = `x,y\n${Array.from({ length: 3000 }, (_, i) => `${i},${i % 2}`).join('\n')}\n`;

  it('grows past its first allocation, keeping every value and line', async () => {
    const table = await parseNumericTable(csv, ['y', 'x']);
    expect(table.rows).toBe(3000);
    expect(table.values).toHaveLength(6000);
    expect(table.lines).toHaveLength(3000);
    expect([table.values[0], table.values[1], table.values[5998], table.values[5999]]).toEqual([
      0, 0, 1, 2999,
    ]);
    expect([table.lines?.[0], table.lines?.[2999]]).toEqual([2, 3001]);
  });

  it('reads the same table from a stream of chunks', async () => {
    const bytes = new TextEncoder().encode(csv);
    const chunks = (async function* () {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    })();
    expect(await parseNumericTable(chunks, ['y', 'x'])).toEqual(await parseNumericTable(csv, ['y', 'x']));
  });
});
