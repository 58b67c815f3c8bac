import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '#contracts/errors.ts';

import { parseNumericTable } from '#datasets/index.ts';

import { column, type NumericTable } from '#domain/table.ts';
import { thrownBy } from '../../support/errors.ts';

const dataError = (fn: () => unknown) => thrownBy(DataError, fn);

describe('column', () => {
  let table: NumericTable;
  beforeAll(async () => {
    table = await parseNumericTable('a,b,c\n1,2,3\n4,5,6\n7,8,9\n', ['c', 'a'], { source: 't.csv' });
  });

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
