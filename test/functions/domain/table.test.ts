import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { column, DataError, MAX_LISTED_PROBLEMS, parseNumericTable } from '#domain/table.ts';
import { thrownBy } from '../../support/errors.ts';

const dataError = (fn: () => unknown) => thrownBy(DataError, fn);

describe('parseNumericTable', () => {
  it('reads the requested columns in the requested order, row-major, ignoring other columns', () => {
    const csv = 'id,b,a,note\nx1,1.5,-2,hello\nx2,3,4e2,"with, comma"\n';
    const table = parseNumericTable(csv, ['a', 'b'], { source: 'train.csv' });
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
  ])('accepts %s and records each row’s file line', (_, csv, lines) => {
    const table = parseNumericTable(csv, ['a', 'b']);
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
  ])('parses a %s cell', (_, cell, expected) => {
    expect(parseNumericTable(`x\n${cell}\n`, ['x']).values[0]).toBe(expected);
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
  ])('rejects a %s cell with file, line, column and value', (_, cell) => {
    const error = dataError(() =>
      parseNumericTable(`a,b\n1,2\n3,${cell}\n`, ['a', 'b'], { source: 'data.csv' }),
    );
    expect(error.message).toBe(`data.csv:3: column "b": "${cell}" is not a finite number`);
    expect(error.problems).toEqual([error.message]);
  });

  it('does not check columns that were not requested', () => {
    const table = parseNumericTable('a,comment\n1,n/a\n2,\n', ['a']);
    expect(Array.from(table.values)).toEqual([1, 2]);
  });

  it('lists at most 10 problems and counts the rest', () => {
    const body = Array.from({ length: 15 }, (_, i) => `${i},bad`).join('\n');
    const error = dataError(() =>
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
  ])('names %s and the source', (_, columns, message) => {
    const error = dataError(() => parseNumericTable('a,b\n1,2\n', columns, { source: 'train.csv' }));
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
  ])('rejects %s', (_, csv, message) => {
    expect(dataError(() => parseNumericTable(csv, ['a', 'b'], { source: 'f.csv' })).message).toBe(message);
  });

  it.each([
    ['a short row', 'a,b\n1,2\n3\n', /^f\.csv:3: Invalid Record Length: expect 2, got 1 on line 3$/],
    ['a long row', 'a,b\n1,2\n3,4\n5,6,7\n', /^f\.csv:4: Invalid Record Length/],
    ['an unclosed quote', 'a,b\n1,"2\n', /^f\.csv:2: Quote Not Closed/],
  ])('turns CSV syntax errors into a DataError with the line: %s', (_, csv, message) => {
    expect(dataError(() => parseNumericTable(csv, ['a', 'b'], { source: 'f.csv' })).message).toMatch(message);
  });

  it('names the default source "csv" when none is given', () => {
    expect(dataError(() => parseNumericTable('a\nx\n', ['a'])).message).toBe(
      'csv:2: column "a": "x" is not a finite number',
    );
  });

  it('rejects a column requested twice as a programming error', () => {
    expect(() => parseNumericTable('a\n1\n', ['a', 'a'])).toThrow(RangeError);
  });

  it('reads back every finite double written with String()', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()), {
          minLength: 1,
        }),
        (rows) => {
          const csv = `x,y\n${rows.map(([x, y]) => `${x},${y}`).join('\n')}\n`;
          const table = parseNumericTable(csv, ['y', 'x']);
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

describe('column', () => {
  const table = parseNumericTable('a,b,c\n1,2,3\n4,5,6\n7,8,9\n', ['c', 'a'], { source: 't.csv' });

  it.each([
    ['c', [3, 6, 9]],
    ['a', [1, 4, 7]],
  ])('returns column %s', (name, expected) => {
    expect(Array.from(column(table, name))).toEqual(expected);
  });

  it('returns a copy: writing to it leaves the table unchanged', () => {
    const copy = column(table, 'a');
    copy[0] = 100;
    expect(table.values[1]).toBe(1);
  });

  it('throws a DataError naming a column the table does not have', () => {
    expect(dataError(() => column(table, 'b')).message).toBe('t.csv: missing column "b" (columns: c, a)');
  });
});
