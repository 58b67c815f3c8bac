import { CsvError } from 'csv-parse';
import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '#contracts/errors.ts';

import {
  type ColumnSpec,
  type Dataset,
  datasetFormat,
  inferColumns,
  inferColumnType,
  parseCsv,
  parseDataset,
  parseJsonLines,
  parseNumber,
  parseParquet,
  readCsvRecords,
  withColumnTypes,
} from '#datasets/index.ts';
import { CSV, JSONL, SPECS, values } from '../../support/datasets.ts';
import { type ParquetCodec, parquetBytes } from '../../support/parquet.ts';

function chunks(text: string, size: number): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return (async function* () {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  })();
}

describe('datasetFormat', () => {
  it.each([
    ['reference.csv', 'csv'],
    ['windows/2026-11-20.JSONL', 'jsonl'],
    ['a.b/current.ndjson', 'jsonl'],
    ['data/part-0.parquet', 'parquet'],
  ])('%s is %s', (key, format) => {
    expect(datasetFormat(key)).toBe(format);
  });

  it.each(['data.json', 'data.csv.gz', 'folder.csv/data', 'README'])('rejects %s, naming it', (key) => {
    expect(() => datasetFormat(key)).toThrow(DatasetError);
    expect(() => datasetFormat(key)).toThrow(key);
  });
});

describe('parseNumber', () => {
  it.each([
    ['42', 42],
    [' -3.5 ', -3.5],
    ['1e3', 1000],
    ['.5', 0.5],
    ['+7.', 7],
    ['inf', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('%j is %s', (text, expected) => {
    expect(parseNumber(text)).toBe(expected);
  });

  it.each(['', '  ', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL'])('%j is missing (NaN)', (text) => {
    expect(parseNumber(text)).toBeNaN();
  });

  it.each(['0x10', '1,000', 'twelve', '12abc', '1e', '--1', 'true'])('%j is not a number', (text) => {
    expect(parseNumber(text)).toBeUndefined();
  });
});

describe.each([
  ['CSV', parseCsv, CSV, 'line 5', '-2e1'],
  ['JSON Lines', parseJsonLines, JSONL, 'line 4', '-20'],
])('%s reader', (_name, parse, text, violationLine, lastAge) => {
  it('keeps only the requested columns, typed, with missing values as NaN and null', async () => {
    const dataset = await parse(text, SPECS, 'file');
    expect(dataset.rows).toBe(5);
    expect(Object.keys(dataset.columns)).toEqual(['age', 'plan', 'mobile']);
    expect(dataset.columns.age).toBeInstanceOf(Float64Array);
    expect(values(dataset.columns.age)).toEqual([34, Number.NaN, 41.5, Number.NaN, -20]);
    expect(dataset.columns.plan).toEqual(['basic', 'pro', null, 'plus', 'basic']);
    expect(dataset.columns.mobile).toEqual(['true', 'false', 'true', 'true', 'false']);
  });

  it('counts a value that is not a number as a type violation naming its line', async () => {
    const dataset = await parse(text, SPECS, 'file');
    expect(dataset.typeViolations).toEqual({ age: 1 });
    expect(dataset.problems).toEqual([
      `column "age" of file: 1 value is not a number (first: "old" on ${violationLine})`,
    ]);
  });

  it('reports a requested column the file does not have instead of throwing', async () => {
    const dataset = await parse(text, [...SPECS, { name: 'income', type: 'numeric' }], 'file');
    expect(dataset.absentColumns).toEqual(['income']);
    expect(dataset.columns.income).toBeUndefined();
    expect(dataset.problems).toContain('column "income" is missing from file');
  });

  it('reads every column as labels when no column is requested', async () => {
    const dataset = await parse(text, undefined, 'file');
    expect(Object.keys(dataset.columns)).toEqual(['id', 'age', 'plan', 'mobile']);
    expect(dataset.columns.age).toEqual(['34', null, '41.5', 'old', lastAge]);
  });

  it.each([1, 3, 7, 64])('gives the same result from a stream of %i-byte chunks', async (size) => {
    expect(await parse(chunks(text, size), SPECS, 'file')).toEqual(await parse(text, SPECS, 'file'));
  });
});

describe('parseCsv', () => {
  it('handles a byte-order mark, CRLF line ends, quoted cells with commas and line breaks', async () => {
    const text = '\ufeffage,plan\r\n30,"basic, yearly"\r\n\r\n31,"pro\nplus"\r\n';
    const dataset = await parseCsv(text, [
      { name: 'age', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
    ]);
    expect(dataset.rows).toBe(2);
    expect(values(dataset.columns.age)).toEqual([30, 31]);
    expect(dataset.columns.plan).toEqual(['basic, yearly', 'pro\nplus']);
  });

  it.each([
    ['a header only', 'age,plan\n', 0, []],
    ['an empty file', '', 0, ['age']],
  ])('reads %s as zero rows', async (_case, text, rows, absent) => {
    const dataset = await parseCsv(text, [{ name: 'age', type: 'numeric' }], 'f.csv');
    expect(dataset.rows).toBe(rows);
    expect(dataset.absentColumns).toEqual(absent);
  });

  it.each([
    ['a row with too few fields', 'a,b\n1,2\n3\n', /^f\.csv: .*line 3/],
    ['an unclosed quote', 'a,b\n1,"2\n3,4\n', /^f\.csv: Quote Not Closed/],
  ])('rejects %s, naming the file and line', async (_case, text, message) => {
    await expect(parseCsv(text, undefined, 'f.csv')).rejects.toThrow(message);
    await expect(parseCsv(text, undefined, 'f.csv')).rejects.toBeInstanceOf(DatasetError);
  });

  it('rejects a requested column that appears twice in the header', async () => {
    await expect(parseCsv('a,b,a\n1,2,3\n', [{ name: 'a', type: 'numeric' }], 'f.csv')).rejects.toThrow(
      'f.csv: column "a" appears twice in the header',
    );
  });
});

describe('parseJsonLines', () => {
  it.each([
    ['invalid JSON', '{"a":1}\n{"a":\n', 'f.jsonl:2: invalid JSON'],
    ['an array', '{"a":1}\n\n[1,2]\n', 'f.jsonl:3: expected a JSON object, got an array'],
    ['a number', '7\n', 'f.jsonl:1: expected a JSON object, got number'],
    ['null', '{"a":1}\nnull', 'f.jsonl:2: expected a JSON object, got null'],
  ])('rejects a line holding %s, naming the file and line', async (_case, text, message) => {
    await expect(parseJsonLines(text, undefined, 'f.jsonl')).rejects.toThrow(message);
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const text = '{"city":"Zürich"}\n{"city":"東京"}\n';
    const dataset = await parseJsonLines(chunks(text, 1), [{ name: 'city', type: 'categorical' }]);
    expect(dataset.columns.city).toEqual(['Zürich', '東京']);
  });

  it('treats a column no row has as absent, and a key missing from some rows as missing values', async () => {
    const dataset = await parseJsonLines('{"a":1}\n{"b":2}\n{"a":3}\n', [
      { name: 'a', type: 'numeric' },
      { name: 'b', type: 'numeric' },
      { name: 'c', type: 'numeric' },
    ]);
    expect(values(dataset.columns.a)).toEqual([1, Number.NaN, 3]);
    expect(values(dataset.columns.b)).toEqual([Number.NaN, 2, Number.NaN]);
    expect(dataset.absentColumns).toEqual(['c']);
  });

  it.each([
    [true, 1],
    [{ nested: 1 }, 1],
    ['7', 0],
  ])('a numeric column holding %j has %i type violation(s)', async (value, violations) => {
    const dataset = await parseJsonLines(JSON.stringify({ x: value }), [{ name: 'x', type: 'numeric' }]);
    expect(dataset.typeViolations.x).toBe(violations);
  });
});

describe('Parquet reader', () => {
  const columns = {
    age: Float64Array.from([34, 28, Number.NaN, 51, 47, 39, 22]),
    income: [52_000, null, 61_500, 48_250, null, 70_100, 39_900],
    plan: ['basic', 'pro', null, 'plus', 'basic', 'basic', 'pro'],
    visits: BigInt64Array.from([3n, 0n, 12n, 7n, 1n, 4n, 9n]),
  };
  const specs: ColumnSpec[] = [
    { name: 'age', type: 'numeric' },
    { name: 'income', type: 'numeric' },
    { name: 'plan', type: 'categorical' },
    { name: 'visits', type: 'numeric' },
  ];
  const expected = {
    age: [34, 28, Number.NaN, 51, 47, 39, 22],
    income: [52_000, Number.NaN, 61_500, 48_250, Number.NaN, 70_100, 39_900],
    plan: ['basic', 'pro', null, 'plus', 'basic', 'basic', 'pro'],
    visits: [3, 0, 12, 7, 1, 4, 9],
  };

  it.each<[ParquetCodec, number]>([
    ['UNCOMPRESSED', 7],
    ['UNCOMPRESSED', 3],
    ['SNAPPY', 4],
    ['GZIP', 2],
    ['BROTLI', 5],
    ['ZSTD', 1],
  ])(
    'reads %s files with row groups of %i rows: doubles, nullable doubles, strings, int64',
    async (codec, size) => {
      const bytes = parquetBytes(columns, { codec, rowGroupSize: size });
      // The file really has the codec and row groups under test, so each decompressor is exercised.
      const metadata = parquetMetadata(bytes.buffer as ArrayBuffer);
      expect(metadata.row_groups).toHaveLength(Math.ceil(7 / size));
      expect(new Set(metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)))).toEqual(
        new Set([codec]),
      );
      expect(metadata.schema.slice(1).map((e) => [e.name, e.type, e.repetition_type])).toEqual([
        ['age', 'DOUBLE', 'REQUIRED'],
        ['income', 'DOUBLE', 'OPTIONAL'],
        ['plan', 'BYTE_ARRAY', 'OPTIONAL'],
        ['visits', 'INT64', 'REQUIRED'],
      ]);
      const dataset = await parseParquet(bytes, specs, 'f.parquet');
      expect(dataset.rows).toBe(7);
      for (const [name, column] of Object.entries(expected))
        expect(values(dataset.columns[name])).toEqual(column);
      expect(dataset.problems).toEqual([]);
    },
  );

  it('reads one column at a time when the batch budget is smaller than a column chunk', async () => {
    const bytes = parquetBytes(columns, { rowGroupSize: 3 });
    expect(await parseParquet(bytes, specs, 'f', { batchBytes: 1 })).toEqual(
      await parseParquet(bytes, specs, 'f'),
    );
  });

  it('reads only the requested columns and reports absent ones', async () => {
    const dataset = await parseParquet(
      parquetBytes(columns),
      [
        { name: 'plan', type: 'categorical' },
        { name: 'tenure', type: 'numeric' },
      ],
      'f.parquet',
    );
    expect(Object.keys(dataset.columns)).toEqual(['plan']);
    expect(dataset.absentColumns).toEqual(['tenure']);
  });

  it('counts strings in a column read as numbers as type violations, naming the row', async () => {
    const bytes = parquetBytes({ x: ['1.5', 'n/a?', null, '2'] });
    const dataset = await parseParquet(bytes, [{ name: 'x', type: 'numeric' }], 'f.parquet');
    expect(values(dataset.columns.x)).toEqual([1.5, Number.NaN, Number.NaN, 2]);
    expect(dataset.typeViolations.x).toBe(1);
    expect(dataset.problems[0]).toContain('(first: "n/a?" on row 2)');
  });

  it('reads every column as labels when no column is requested', async () => {
    const dataset = await parseParquet(parquetBytes(columns), undefined, 'f.parquet');
    expect(dataset.columns.visits).toEqual(['3', '0', '12', '7', '1', '4', '9']);
    expect(dataset.columns.income?.[1]).toBeNull();
  });

  it.each([
    ['text', new TextEncoder().encode('id,age\n1,2\n')],
    ['a truncated file', parquetBytes(columns).subarray(0, 60)],
  ])('rejects %s, naming the source', async (_case, bytes) => {
    await expect(parseParquet(bytes, specs, 'f.parquet')).rejects.toThrow(/^f\.parquet: /);
    await expect(parseParquet(bytes, specs, 'f.parquet')).rejects.toBeInstanceOf(DatasetError);
  });
});

describe('the same data in every format', () => {
  it('reads identically from CSV, JSON Lines and Parquet', async () => {
    const parquet = parquetBytes({
      id: Float64Array.from([1, 2, 3, 4, 5]),
      age: ['34', null, '41.5', 'old', '-20'],
      plan: ['basic', 'pro', null, 'plus', 'basic'],
      mobile: ['true', 'false', 'true', 'true', 'false'],
    });
    const [csv, jsonl, pq] = await Promise.all([
      parseDataset(CSV, 'csv', SPECS, 's'),
      parseDataset(JSONL, 'jsonl', SPECS, 's'),
      parseDataset(parquet, 'parquet', SPECS, 's'),
    ]);
    const strip = ({ problems: _, ...rest }: Dataset) => rest;
    expect(strip(jsonl)).toEqual(strip(csv));
    expect(strip(pq)).toEqual(strip(csv));
  });
});

describe('column type inference', () => {
  it.each<[(string | null)[], string]>([
    [['1', '2.5', null, '-3e2'], 'numeric'],
    [['0', '1', '1', '0'], 'numeric'],
    [['yes', 'no', null, 'yes'], 'binary'],
    [['true', 'false'], 'binary'],
    [['a', 'b', 'c'], 'categorical'],
    [['1', '2', 'three'], 'categorical'],
    [['1', 'x'], 'binary'],
    [[null, null], 'categorical'],
    [[], 'categorical'],
  ])('%j is %s', (column, type) => {
    expect(inferColumnType(column)).toBe(type);
  });

  it('infers every column of a dataset read as labels and re-types it', async () => {
    const untyped = await parseCsv(CSV, undefined, 'f.csv');
    const specs = inferColumns(untyped, ['id', 'plan', 'mobile']);
    expect(specs).toEqual([
      { name: 'id', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
      { name: 'mobile', type: 'binary' },
    ]);
    const typed = withColumnTypes(untyped, specs);
    expect(values(typed.columns.id)).toEqual([1, 2, 3, 4, 5]);
    expect(typed.columns.plan).toEqual(untyped.columns.plan);
    expect(() => inferColumns(untyped, ['nope'])).toThrow('unknown column "nope": f.csv has "id", "age"');
  });
});

describe('readCsvRecords', () => {
  it('hands over each record with the file line it ends on, the header first', async () => {
    const records: [string[], number][] = [];
    await readCsvRecords('\ufeffa,b\n\n 1 ,"x\ny"\n2,z', (record, line) => records.push([record, line]));
    expect(records).toEqual([
      [['a', 'b'], 1],
      [['1', 'x\ny'], 4],
      [['2', 'z'], 5],
    ]);
  });

  it('throws csv-parse’s error, with the line, for a malformed file', async () => {
    const error = await readCsvRecords('a,b\n1\n', () => {}).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(CsvError);
    expect(error).toMatchObject({ lines: 2 });
  });
});
