import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ObjectNotFoundError } from '#contracts/errors.ts';
import { type ReadStats, readDatasetFromS3 } from '#stores/datasets.ts';
import { CSV, JSONL, SPECS, values } from '../../support/datasets.ts';
import { parquetBytes } from '../../support/parquet.ts';
import { useLocalStack } from '../../support/stack.ts';

describe('readDatasetFromS3 (local S3)', () => {
  const local = useLocalStack();
  const put = (key: string, body: string | Uint8Array) =>
    local.ctx.s3.send(new PutObjectCommand({ Bucket: local.stack.bucket, Key: key, Body: body }));

  it('reads CSV, JSON Lines and Parquet objects by their extension, with the same result', async () => {
    const parquet = parquetBytes({
      age: ['34', null, '41.5', 'old', '-20'],
      plan: ['basic', 'pro', null, 'plus', 'basic'],
      mobile: ['true', 'false', 'true', 'true', 'false'],
    });
    await Promise.all([put('d/ref.csv', CSV), put('d/ref.ndjson', JSONL), put('d/ref.parquet', parquet)]);
    const [csv, jsonl, pq] = await Promise.all(
      ['d/ref.csv', 'd/ref.ndjson', 'd/ref.parquet'].map((key) => readDatasetFromS3(local.ctx, key, SPECS)),
    );
    expect(csv?.source).toBe(`s3://${local.stack.bucket}/d/ref.csv`);
    expect(csv?.columns).toEqual(jsonl?.columns);
    expect(pq?.columns).toEqual(csv?.columns);
    expect(pq?.typeViolations).toEqual({ age: 1 });
  });

  it('fetches only the requested Parquet columns with ranged GETs', async () => {
    const rows = 20_000;
    const wide = Object.fromEntries(
      Array.from({ length: 10 }, (_, c) => [
        `f${c}`,
        Float64Array.from({ length: rows }, (_, i) => i * (c + 1)),
      ]),
    );
    const bytes = parquetBytes(wide, { rowGroupSize: 5_000 });
    await put('d/wide.parquet', bytes);
    const stats: ReadStats = { requests: 0, bytes: 0 };
    const dataset = await readDatasetFromS3(local.ctx, 'd/wide.parquet', [{ name: 'f3', type: 'numeric' }], {
      stats,
    });
    expect(values(dataset.columns.f3)).toEqual(Array.from({ length: rows }, (_, i) => i * 4));
    // One of ten columns: a tenth of the data plus the footer.
    expect(stats.bytes).toBeLessThan(bytes.byteLength / 5);
    expect(stats.requests).toBeGreaterThanOrEqual(5);
  });

  it('names the key when the object does not exist', async () => {
    await expect(readDatasetFromS3(local.ctx, 'd/none.parquet', SPECS)).rejects.toBeInstanceOf(
      ObjectNotFoundError,
    );
    await expect(readDatasetFromS3(local.ctx, 'd/none.csv', SPECS)).rejects.toThrow(
      `s3://${local.stack.bucket}/d/none.csv does not exist`,
    );
  });

  it.each([
    ['d/bad.jsonl', '{"age":1}\n{"age":2,}\n', /^s3:\/\/kaizen-artifacts\/d\/bad\.jsonl:2: invalid JSON/],
    ['d/bad.csv', 'age,plan\n1,basic\n2\n', /^s3:\/\/kaizen-artifacts\/d\/bad\.csv: .*line 3/],
    [
      'd/bad.parquet',
      'not parquet at all',
      /^s3:\/\/kaizen-artifacts\/d\/bad\.parquet: not a readable Parquet/,
    ],
  ])('names the key and line of a malformed %s', async (key, body, message) => {
    await put(key, body);
    await expect(readDatasetFromS3(local.ctx, key, SPECS)).rejects.toThrow(message);
  });

  it('rejects an unknown extension before reading', async () => {
    await expect(readDatasetFromS3(local.ctx, 'd/data.xlsx', SPECS)).rejects.toThrow(
      'd/data.xlsx: unknown dataset format',
    );
  });
});
