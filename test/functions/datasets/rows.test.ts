import { describe, expect, it } from 'vitest';
import { DatasetError } from '#contracts/errors.ts';
import { concatenateCsv } from '#datasets/index.ts';
import { csvRows, jsonLinesRows, type RawRow, rowsFormat } from '#datasets/rows.ts';

const NUMERIC = new Set(['value', 'count', 'score']);

async function all(rows: AsyncIterable<RawRow>): Promise<RawRow[]> {
  const out: RawRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** The same text delivered in small byte chunks, as a file or S3 stream delivers it. */
async function* chunked(text: string, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('csvRows', () => {
  it('reads every good row around malformed ones, each reported at its line', async () => {
    const text = [
      'type,modelId,metric,value,count,timestamp',
      'kpi,churn,p,0.3,400,2026-11-20T00:00:00Z',
      'kpi,churn,p,0.3,400,2026-11-20T01:00:00Z,extra',
      'kpi,ch"urn,p,0.3,400,2026-11-20T02:00:00Z',
      'kpi,churn,p,0.4,400,2026-11-20T03:00:00Z',
      'kpi,churn,p',
      'kpi,churn,p,0.5,400,2026-11-20T04:00:00Z',
    ].join('\n');
    const rows = await all(csvRows(chunked(text), NUMERIC));
    expect(rows.filter((row) => 'value' in row).map((row) => row.line)).toEqual([2, 5, 7]);
    const errors = rows.filter((row): row is { line: number; error: string } => 'error' in row);
    expect(errors.map((row) => row.line)).toEqual([3, 4, 6]);
    for (const row of errors) expect(row.error).toMatch(/^malformed CSV row: /);
  });

  it('lets a quote left open spoil only its own line: the rows after it are read', async () => {
    const rows = await all(csvRows('metric,value\nm,1\n"m,2\nm,3\n', NUMERIC));
    expect(rows).toEqual([
      { line: 2, value: { metric: 'm', value: 1 } },
      { line: 3, error: expect.stringMatching(/^malformed CSV row: .*quote/i) },
      { line: 4, value: { metric: 'm', value: 3 } },
    ]);
  });

  it.each<[string, string, unknown]>([
    ['a decimal', '0.25', 0.25],
    ['an exponent', '1e-3', 0.001],
    ['a signed number', '-2', -2],
    ['hexadecimal, which stays text (the schema then rejects it)', '0x10', '0x10'],
    ['a number with a unit', '12ms', '12ms'],
    ['NaN, which becomes a number the schema rejects by name', 'NaN', Number.NaN],
  ])('reads %s as %j', async (_case, cell, expected) => {
    const [row] = await all(csvRows(`metric,value\nm,${cell}\n`, NUMERIC));
    expect(row).toEqual({ line: 2, value: { metric: 'm', value: expected } });
  });

  it('leaves empty cells out and drops a byte-order mark', async () => {
    const [row] = await all(csvRows('\uFEFFmetric,value,count\nm,,3\n', NUMERIC));
    expect(row).toEqual({ line: 2, value: { metric: 'm', count: 3 } });
  });

  it('refuses a header that names a column twice', async () => {
    await expect(all(csvRows('value,metric,value\n1,m,2\n', NUMERIC))).rejects.toThrow(
      new DatasetError('line 1: the header names column "value" twice'),
    );
  });
});

describe('jsonLinesRows', () => {
  it('keeps the first row of a file with a byte-order mark, and reads CRLF and chunked input', async () => {
    const rows = await all(jsonLinesRows(chunked('\uFEFF{"a":1}\r\n\r\n{"a":2}\r\n{"a":')));
    expect(rows).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 3, value: { a: 2 } },
      { line: 4, error: expect.stringMatching(/^invalid JSON: /) },
    ]);
  });
});

describe('rowsFormat', () => {
  it.each([
    ['kpis.csv', 'csv'],
    ['kpis.CSV', 'csv'],
    ['kpis.jsonl', 'jsonl'],
    ['kpis.ndjson', 'jsonl'],
    ['kpis.json', 'jsonl'],
    ['kpis.parquet', undefined],
    ['kpis', undefined],
  ])('%s is %s', (name, format) => {
    expect(rowsFormat(name)).toBe(format);
  });
});

describe('concatenateCsv', () => {
  it.each<[string, { source: string; text: string }[], string]>([
    ['one part as it is', [{ source: 'a', text: 'x,y\n1,2' }], 'x,y\n1,2'],
    [
      'parts under one header, rows in order, missing final newlines added',
      [
        { source: 'a', text: '\uFEFFx,y\r\n1,2' },
        { source: 'b', text: 'x,y\n3,4\n' },
        { source: 'c', text: 'x,y\n' },
      ],
      'x,y\n1,2\n3,4\n',
    ],
  ])('%s', (_case, parts, text) => {
    expect(concatenateCsv(parts)).toBe(text);
  });

  it('refuses a part whose header differs, naming it', () => {
    expect(() =>
      concatenateCsv([
        { source: 's3://b/d/2026-11-18.csv', text: 'x,y\n1,2\n' },
        { source: 's3://b/d/2026-11-19.csv', text: 'y,x\n3,4\n' },
      ]),
    ).toThrow(
      new DatasetError(
        's3://b/d/2026-11-19.csv: its header "y,x" differs from "x,y" of s3://b/d/2026-11-18.csv',
      ),
    );
  });
});
