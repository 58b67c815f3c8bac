import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliIn } from '../support/cli.ts';
import { precision, ROOT } from '../support/loop.ts';

// Bad input of every kind, through the CLI a person uses: each is rejected with exit 2 (or, for rows of an
// ingest file, reported with file:line: field while every valid row is stored), naming what is wrong and where.
let home: string;
const example = JSON.parse(await readFile(join(ROOT, 'examples/churn-policy.json'), 'utf8'));

const { kaizen, file } = cliIn(() => home);

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-bad-input-'));
  expect((await kaizen('models', 'put', join(ROOT, 'examples/churn-policy.json'))).code).toBe(0);
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const patched = (patch: (policy: typeof example) => void) => {
  const policy = structuredClone(example);
  patch(policy);
  return JSON.stringify(policy);
};

describe('policies (kaizen models put): exit 2, the file and the field named', () => {
  it.each<[string, string, string]>([
    ['no modelId', patched((p) => delete p.modelId), 'modelId:'],
    ['a model id with spaces', patched((p) => (p.modelId = 'Churn Model')), 'modelId: must be 1-63'],
    ['a floor above the ceiling', patched((p) => (p.kpis[0].ceiling = 0.1)), 'kpis[0].floor: floor 0.2'],
    ['a duplicate KPI', patched((p) => p.kpis.push(p.kpis[0])), 'kpis[1].metric: duplicate KPI'],
    ['an unknown field', patched((p) => (p.colour = 'blue')), 'colour'],
    ['a window that is not a duration', patched((p) => (p.window = '1 day')), 'window: must be an ISO-8601'],
    ['a zero window', patched((p) => (p.window = 'PT0S')), 'window: must be longer than zero'],
    [
      'a method unfit for the type',
      patched((p) => (p.monitoring.features[0].method = 'chisquare')),
      'method',
    ],
    [
      'a traversing dataset key',
      patched((p) => (p.training.dataset = '../../etc/passwd')),
      'training.dataset',
    ],
    ['an s3:// holdout', patched((p) => (p.evaluation.holdout = 's3://b/h.csv')), 'evaluation.holdout'],
    [
      'a key with a leading /',
      patched((p) => (p.monitoring.current = '/x/{date}.csv')),
      'monitoring.current',
    ],
    ['a fractional bake period', patched((p) => (p.rollout.bakePeriod = 'PT1.5S')), 'rollout.bakePeriod'],
    ['a bake beyond a year', patched((p) => (p.rollout.bakePeriod = 'P200D')), 'one-year limit'],
    [
      'a budget shorter than the window',
      patched((p) => (p.budget = { maxRetrains: 1, period: 'PT1H' })),
      'budget',
    ],
    [
      'too much evidence for a state',
      patched((p) => (p.persistence = { breaches: 1, windows: 100, clearAfter: 100 })),
      'KB of evidence',
    ],
    [
      '@champion as the training dataset',
      patched((p) => (p.training.dataset = '@champion')),
      'training.dataset',
    ],
    [
      '{date} in the reference',
      patched((p) => (p.monitoring.reference = 'd/{date}.csv')),
      'monitoring.reference',
    ],
    ['broken JSON', '{"modelId": "churn",\n  oops}', ':2:3: invalid JSON'],
  ])('rejects %s', async (_kind, text, message) => {
    const path = await file('policy.json', text);
    const result = await kaizen('models', 'put', path);
    expect(result.code).toBe(2);
    expect(result.err).toContain(path);
    expect(result.err).toContain(message);
  });
});

describe('observation rows (kaizen ingest): each bad row reported with file:line: field, every good row stored', () => {
  const good = precision('2026-11-20T00:00:00Z', 0.3);
  const bad: [string, string, string][] = [
    ['bad JSON', '{"type": "kpi",', 'invalid JSON'],
    ['a missing metric', JSON.stringify({ ...good, metric: undefined }), 'metric:'],
    ['NaN as text', JSON.stringify({ ...good, value: 'NaN' }), 'value: must be a number'],
    [
      'a value too large for DynamoDB',
      JSON.stringify({ ...good, value: 1e200 }),
      'value: must be 0 or between',
    ],
    [
      'a value too small for DynamoDB',
      JSON.stringify({ ...good, value: 1e-200 }),
      'value: must be 0 or between',
    ],
    ['a negative count', JSON.stringify({ ...good, count: -1 }), 'count: must not be negative'],
    ['a fractional count', JSON.stringify({ ...good, count: 2.5 }), 'count: must be a whole number'],
    ['a timestamp without zone', JSON.stringify({ ...good, timestamp: '2026-11-20T00:00:00' }), 'timestamp:'],
    [
      'an impossible date',
      JSON.stringify({ ...good, timestamp: '2026-02-30T00:00:00Z' }),
      'is not a real date',
    ],
    ['an unknown model', JSON.stringify({ ...good, modelId: 'fraud' }), 'model "fraud" is not registered'],
    ['an unknown type', JSON.stringify({ ...good, type: 'latency' }), 'type must be "kpi" or "drift"'],
    ['an unknown field', JSON.stringify({ ...good, region: 'eu' }), 'region'],
    [
      'a negative drift score',
      JSON.stringify({
        type: 'drift',
        modelId: 'churn',
        feature: 'f',
        method: 'psi',
        score: -1,
        timestamp: good.timestamp,
      }),
      'score: must not be negative',
    ],
  ];

  it(`rejects ${bad.length} kinds of rows and stores the good ones around them`, async () => {
    const lines: string[] = [];
    for (const [index, [, text]] of bad.entries()) {
      lines.push(
        JSON.stringify({ ...good, timestamp: `2026-11-19T${String(index).padStart(2, '0')}:00:00Z` }),
      );
      lines.push(text);
    }
    const path = await file('rows.jsonl', lines.join('\n'));
    const result = await kaizen('ingest', path);
    expect(result.code).toBe(1);
    expect(result.out.split('\n')[0]).toBe(`${path}: stored ${bad.length} rows, rejected ${bad.length}`);
    const reported = result.err.split('\n').filter((line) => line.startsWith(`${path}:`));
    expect(reported).toHaveLength(bad.length);
    for (const [index, [kind, , message]] of bad.entries()) {
      expect({ kind, line: reported[index] }).toEqual({
        kind,
        line: expect.stringContaining(`${path}:${2 * index + 2}: `),
      });
      expect({ kind, line: reported[index] }).toEqual({ kind, line: expect.stringContaining(message) });
    }
  });
});

describe('execution input, keys and options: exit 2 with a message that names them', () => {
  it.each<[string, string[], string]>([
    ['an unknown model', ['run', '--model', 'ghost'], 'model "ghost" is not registered'],
    ['an invalid model id', ['run', '--model', 'Not Valid'], 'modelId: must be 1-63'],
    ['an as-of without a zone', ['run', '--model', 'churn', '--as-of', '2026-11-20T00:00:00'], 'asOf:'],
    [
      'an impossible as-of',
      ['run', '--model', 'churn', '--as-of', '2026-02-30T00:00:00Z'],
      'not a real date',
    ],
    ['a sweep time that is no time', ['sweep', '--at', 'yesterday'], 'at: must be an ISO-8601 timestamp'],
    ['a zero page size', ['sweep', '--page-size', '0'], '--page-size must be a positive integer'],
    ['a traversing upload key', ['upload', 'README.md', '../outside.txt'], 'contains a "." or ".." segment'],
    ['an empty upload key', ['upload', 'README.md', ''], 'is empty'],
    ['an s3:// upload key', ['upload', 'README.md', 's3://bucket/key.csv'], 'is a URL'],
    ['a leading / in a key', ['upload', 'README.md', '/datasets/x.csv'], 'starts with "/"'],
    [
      'a key over 1,024 bytes',
      ['upload', 'README.md', `d/${'x'.repeat(1100)}.csv`],
      'S3 keys are at most 1024',
    ],
    ['an upload of a missing file', ['upload', 'missing.csv', 'datasets/x.csv'], 'missing.csv: ENOENT'],
    ['an unknown option', ['status', '--colour'], "unknown option '--colour'"],
    ['a missing --model', ['history'], "required option '--model <id>' not specified"],
  ])('rejects %s', async (_kind, args, message) => {
    const result = await kaizen(...args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });

  it.each<[string, string, string]>([
    ['a JSON Lines window with a broken line', 'bad.jsonl', '{"plan":"basic"}\n{"plan":\n'],
    ['a CSV window with a broken row', 'bad.csv', 'plan,country\nbasic,DE\npro\n'],
    ['an empty window', 'empty.csv', 'plan,country\n'],
    ['an unknown dataset format', 'data.xlsx', 'plan\nbasic\n'],
  ])('kaizen drift rejects %s, naming the file', async (_kind, name, text) => {
    const path = await file(name, text);
    const reference = join(ROOT, 'test/fixtures/datasets/reference.csv');
    const result = await kaizen('drift', '--reference', reference, '--current', path, '--features', 'plan');
    expect(result.code).toBe(2);
    expect(result.err).toContain(path);
  });
});
