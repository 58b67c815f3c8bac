import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENTS_FILE } from '#local/events.ts';
import { queryObservations } from '#stores/observations.ts';
import { localBackend } from '../../cli/backend.ts';
import { cliIn } from '../support/cli.ts';
import { precision, ROOT } from '../support/loop.ts';

// The S3 drop folder end to end on the local stack: `kaizen upload` of a key under ingest/ puts the object into
// s3rver and runs the ingest function on it as the bucket's notification does on AWS.

let home: string;
const { kaizen, file } = cliIn(() => home);
const POLICY = join(ROOT, 'examples/churn-policy.json');

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-drop-'));
  expect((await kaizen('models', 'put', POLICY)).code).toBe(0);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const row = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ ...precision('2026-11-20T00:00:00Z', 0.3), ...extra });
const hour = (h: number) => new Date(Date.UTC(2026, 10, 20, h)).toISOString();

/** Keys of the local artifacts bucket under ingest/, and the text of one of them. */
async function bucket() {
  const backend = await localBackend(home);
  try {
    const { Contents } = await backend.ctx.s3.send(
      new ListObjectsV2Command({ Bucket: backend.ctx.config.bucket, Prefix: 'ingest/' }),
    );
    const keys = (Contents ?? []).map((c) => c.Key as string).sort();
    const texts = new Map<string, string>();
    for (const key of keys) {
      const output = await backend.ctx.s3.send(
        new GetObjectCommand({ Bucket: backend.ctx.config.bucket, Key: key }),
      );
      texts.set(key, (await output.Body?.transformToString()) ?? '');
    }
    const stored = await queryObservations(backend.ctx, 'churn', { start: '2026-11-19', end: '2026-11-25' });
    return { keys, texts, stored };
  } finally {
    await backend.close();
  }
}

async function events(): Promise<{ 'detail-type': string; detail: Record<string, unknown> }[]> {
  const text = await readFile(join(home, EVENTS_FILE), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('the S3 drop folder (kaizen upload <file> ingest/...)', () => {
  it('a good file: every row stored, the file moved to ingest/done/, the report beside its key, no event', async () => {
    const path = await file('good.jsonl', [row(), row({ timestamp: hour(1), value: 0.28 })].join('\n'));
    const result = await kaizen('upload', path, 'ingest/team-a/good.jsonl');
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain(
      'ingest/team-a/good.jsonl: stored 2 rows, rejected 0; moved to ingest/done/team-a/good.jsonl, report ingest/team-a/good.jsonl.report.json',
    );
    const { keys, texts, stored } = await bucket();
    expect(keys).toEqual(['ingest/done/team-a/good.jsonl', 'ingest/team-a/good.jsonl.report.json']);
    expect(JSON.parse(texts.get('ingest/team-a/good.jsonl.report.json') ?? '')).toMatchObject({
      key: 'ingest/team-a/good.jsonl',
      status: 'done',
      movedTo: 'ingest/done/team-a/good.jsonl',
      stored: 2,
      unchanged: 0,
      rejectedCount: 0,
      rejected: [],
    });
    expect(texts.get('ingest/done/team-a/good.jsonl')).toBe(await readFile(path, 'utf8'));
    expect(stored.map((o) => o.timestamp)).toEqual([hour(0), hour(1)]);
    expect(await events()).toEqual([]);

    // The same file dropped again (a producer's retry) stores nothing twice.
    const again = JSON.parse((await kaizen('--json', 'upload', path, 'ingest/team-a/good.jsonl')).out);
    expect(again.report).toMatchObject({ status: 'done', stored: 0, unchanged: 2 });
    expect((await bucket()).stored).toHaveLength(2);
  });

  it('a mixed CSV: good rows stored, bad ones reported by line, a changed value refused, the file in ingest/failed/, an event', async () => {
    expect((await kaizen('upload', await file('first.jsonl', row()), 'ingest/first.jsonl')).code).toBe(0);
    const path = await file(
      'mixed.csv',
      [
        'type,modelId,metric,value,count,timestamp',
        `kpi,churn,campaign_precision,0.31,400,${hour(0)}`,
        `kpi,churn,campaign_precision,0.29,400,${hour(2)}`,
        `kpi,churn,campaign_precision,high,400,${hour(3)}`,
        `kpi,fraud,campaign_precision,0.2,400,${hour(4)}`,
        `kpi,churn,campaign_precision,0.27,400,${hour(5)}`,
      ].join('\n'),
    );
    const result = await kaizen('upload', path, 'ingest/mixed.csv');
    expect(result.code).toBe(1);
    expect(result.out).toContain('stored 2 rows, rejected 3; moved to ingest/failed/mixed.csv');
    expect(result.err.split('\n')).toEqual([
      `${path}:2: conflicts with the stored observation of the same modelId, metric and timestamp (value: stored 0.3, sent 0.31); stored observations are never overwritten`,
      `${path}:4: value: must be a number`,
      `${path}:5: modelId: model "fraud" is not registered`,
    ]);
    const { keys, texts, stored } = await bucket();
    expect(keys).toContain('ingest/failed/mixed.csv');
    expect(keys).not.toContain('ingest/mixed.csv');
    expect(JSON.parse(texts.get('ingest/mixed.csv.report.json') ?? '')).toMatchObject({
      status: 'failed',
      stored: 2,
      rejectedCount: 3,
      rejected: [{ line: 2 }, { line: 4 }, { line: 5 }],
    });
    expect(stored.map((o) => [o.timestamp, (o as { value: number }).value])).toEqual([
      [hour(0), 0.3],
      [hour(2), 0.29],
      [hour(5), 0.27],
    ]);
    const [event, ...more] = await events();
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      'detail-type': 'Kaizen Observations Rejected',
      source: 'kaizen-loop',
      detail: {
        path: 's3',
        key: 'ingest/mixed.csv',
        movedTo: 'ingest/failed/mixed.csv',
        report: 'ingest/mixed.csv.report.json',
        stored: 2,
        rejectedCount: 3,
      },
    });
  });

  it('malformed files: a CSV header naming a column twice, bytes that are not Parquet, an unknown type', async () => {
    const twice = await file('twice.csv', 'type,modelId,value,value\nkpi,churn,1,2\n');
    const notParquet = await file('broken.parquet', 'PAR1 but not really');
    const unknown = await file('rows.txt', row());
    for (const [path, key, message] of [
      [twice, 'ingest/twice.csv', 'the header names column "value" twice'],
      [notParquet, 'ingest/broken.parquet', 'not a readable Parquet file'],
      [
        unknown,
        'ingest/rows.txt',
        'unknown file type; the drop folder takes .csv, .jsonl, .ndjson, .parquet',
      ],
    ] as const) {
      const result = await kaizen('upload', path, key);
      expect(result.code).toBe(1);
      expect(result.err).toContain(message);
      const report = JSON.parse((await bucket()).texts.get(`${key}.report.json`) ?? '{}');
      expect(report).toMatchObject({ status: 'failed', stored: 0, error: expect.stringContaining(message) });
    }
    expect((await bucket()).keys.filter((key) => key.startsWith('ingest/failed/'))).toEqual([
      'ingest/failed/broken.parquet',
      'ingest/failed/rows.txt',
      'ingest/failed/twice.csv',
    ]);
    expect((await events()).map((e) => e.detail.key)).toEqual([
      'ingest/twice.csv',
      'ingest/broken.parquet',
      'ingest/rows.txt',
    ]);
  });

  it('Parquet rows are read with the same validation, numbered by row', async () => {
    const bytes = parquetWriteBuffer({
      columnData: [
        { name: 'type', data: ['kpi', 'kpi', 'kpi'] },
        { name: 'modelId', data: ['churn', 'churn', 'churn'] },
        { name: 'metric', data: ['campaign_precision', 'campaign_precision', 'campaign_precision'] },
        { name: 'value', data: [0.3, -Number.MAX_VALUE * 10, 0.25], type: 'DOUBLE' },
        { name: 'count', data: [400, 400, 300], type: 'INT32' },
        { name: 'timestamp', data: [hour(0), hour(1), hour(2)] },
      ],
    });
    const path = join(home, 'rows.parquet');
    await writeFile(path, Buffer.from(bytes));
    const result = JSON.parse((await kaizen('--json', 'upload', path, 'ingest/rows.parquet')).out);
    expect(result.report).toMatchObject({
      status: 'failed',
      stored: 2,
      rejected: [{ line: 2, reason: expect.stringContaining('value: must be finite') }],
    });
  });

  it('a huge file is streamed: 100,000 rows (about 12 MB) stored through bounded batches', async () => {
    // 2,000 observations each repeated 50 times: every batch finds its repeats without a read, so the test's cost
    // is the reading, not the local DynamoDB's writes. The bench measures peak memory on distinct rows.
    const lines: string[] = [];
    for (let i = 0; i < 2000; i += 1) {
      const line = row({
        timestamp: new Date(Date.UTC(2026, 10, 20) + i * 60_000).toISOString(),
        value: i / 2000,
      });
      for (let r = 0; r < 50; r += 1) lines.push(line);
    }
    const path = await file('huge.jsonl', lines.join('\n'));
    const result = JSON.parse((await kaizen('--json', 'upload', path, 'ingest/huge.jsonl')).out);
    expect(result.bytes).toBeGreaterThan(12_000_000);
    expect(result.report).toMatchObject({ status: 'done', stored: 2000, rejectedCount: 0 });
    // Repeats inside a batch are found there; those split across two batches are found stored already.
    expect(result.report.duplicates + result.report.unchanged).toBe(98_000);
    expect(result.report.unchanged).toBeGreaterThan(0);
  });
});
