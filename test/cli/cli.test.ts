import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '#stores/lock.ts';
import { queryObservations } from '#stores/observations.ts';
import { localBackend } from '../../cli/backend.ts';
import { cliIn } from '../support/cli.ts';
import { precision, ROOT } from '../support/loop.ts';

let home: string;

const { kaizen, file } = cliIn(() => home);

const POLICY = join(ROOT, 'examples/churn-policy.json');

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-cli-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('kaizen models', () => {
  it('registers a policy and lists it; state persists between commands', async () => {
    expect((await kaizen('models', 'put', POLICY)).out).toBe('registered churn');
    const list = await kaizen('models', 'list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^MODEL +CHAMPION +WINDOW +KPIS/);
    expect(list.out).toMatch(/churn +- +P1D +campaign_precision +3 features from datasets/);
    const json = JSON.parse((await kaizen('--json', 'models', 'list')).out);
    expect(json).toEqual([expect.objectContaining({ modelId: 'churn', champion: null })]);
  });

  it.each([
    [
      'a field that is wrong',
      '{"modelId":"x","kpis":[{"metric":"m","floor":2,"ceiling":1}],"training":{"dataset":"d","label":"y","features":["a"]},"evaluation":{"holdout":"h"}}',
      /bad\.json is invalid:\n {2}kpis\[0\]\.floor: floor 2 is above ceiling 1/,
    ],
    ['broken JSON', '{\n  "modelId": "x",\n  oops\n}', /bad\.json:3:3: invalid JSON/],
  ])('rejects a policy with %s, naming where', async (_case, text, message) => {
    const result = await kaizen('models', 'put', await file('bad.json', text));
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});

describe('kaizen ingest', () => {
  const good = (line: Record<string, unknown>) =>
    JSON.stringify({
      type: 'kpi',
      modelId: 'churn',
      metric: 'campaign_precision',
      value: 0.3,
      count: 400,
      timestamp: '2026-11-20T00:00:00Z',
      ...line,
    });

  it('stores the good rows of a JSON Lines file and reports each bad one with its line', async () => {
    await kaizen('models', 'put', POLICY);
    const path = await file(
      'mixed.jsonl',
      [
        good({}),
        '{"type":"kpi", broken',
        good({ value: null }),
        good({ count: -5 }),
        good({ modelId: 'fraud' }),
        good({ timestamp: 'yesterday' }),
        '',
        JSON.stringify({
          type: 'drift',
          modelId: 'churn',
          feature: 'tenure',
          method: 'psi',
          score: 0.31,
          timestamp: '2026-11-20T01:00:00Z',
        }),
        good({ metric: undefined }),
        good({ timestamp: '2026-11-20T02:00:00Z', value: 0.28 }),
      ].join('\n'),
    );
    const result = await kaizen('ingest', path);
    expect(result.code).toBe(1);
    expect(result.out.split('\n')[0]).toBe(`${path}: stored 3 rows, rejected 6`);
    const lines = result.err.split('\n').filter((line) => line.startsWith(path));
    expect(lines.map((line) => line.slice(path.length + 1).split(':')[0])).toEqual([
      '2',
      '3',
      '4',
      '5',
      '6',
      '9',
    ]);
    expect(lines[0]).toContain('invalid JSON');
    expect(lines[1]).toContain('value:');
    expect(lines[2]).toContain('count: must not be negative');
    expect(lines[3]).toContain('modelId: model "fraud" is not registered');
    expect(lines[4]).toContain('timestamp: must be an ISO-8601 timestamp');
    expect(lines[5]).toContain('metric:');

    // The stored rows are really in DynamoDB: a dry run over that day sees them.
    const run = JSON.parse(
      (await kaizen('--json', 'run', '--model', 'churn', '--dry-run', '--as-of', '2026-11-21T00:00:00Z')).out,
    );
    expect(run.record.observed.kpis).toEqual([
      { metric: 'campaign_precision', value: 0.29, count: 800, observations: 2 },
    ]);
    expect(run.record.observed.drift).toEqual([expect.objectContaining({ feature: 'tenure', score: 0.31 })]);
  });

  it('reads CSV with the same validation and line numbers', async () => {
    await kaizen('models', 'put', POLICY);
    const path = await file(
      'rows.csv',
      [
        'type,modelId,metric,feature,method,value,count,score,timestamp',
        'kpi,churn,campaign_precision,,,0.3,400,,2026-11-20T00:00:00Z',
        'kpi,churn,campaign_precision,,,NaN,400,,2026-11-20T01:00:00Z',
        'drift,churn,,tenure,psi,,,0.2,2026-11-20T00:00:00Z',
        'kpi,churn,campaign_precision,,,0.3,-1,,2026-11-20T02:00:00Z',
      ].join('\n'),
    );
    const result = await kaizen('--json', 'ingest', path);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out);
    expect(report.stored).toBe(2);
    expect(report.rejected).toEqual([
      { line: 3, reason: expect.stringContaining('value: must be finite') },
      { line: 5, reason: expect.stringContaining('count: must not be negative') },
    ]);
  });

  it('exits 0 when every row is valid', async () => {
    await kaizen('models', 'put', POLICY);
    expect((await kaizen('ingest', await file('ok.jsonl', good({})))).code).toBe(0);
  });
});

describe('kaizen run, history and status', () => {
  it('validates the run input before starting anything', async () => {
    const result = await kaizen('run', '--model', 'churn', '--as-of', 'tomorrow');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/asOf: must be an ISO-8601 timestamp/);
  });

  it('refuses an unregistered model before starting anything', async () => {
    const result = await kaizen('run', '--model', 'ghost');
    expect(result.code).toBe(2);
    expect(result.err).toBe('kaizen: model "ghost" is not registered (kaizen models put <policy.json>)');
  });

  it.each([
    [
      ['run', '--model', 'churn', '--as-of', '2026-11-21'],
      'asOf: must be an ISO-8601 timestamp with a time zone',
    ],
    [['run', '--model', 'churn', '--as-of', '2026-02-30T00:00:00Z'], 'asOf: is not a real date'],
    [['sweep', '--at', 'yesterday'], 'invalid sweep input: at: must be an ISO-8601 timestamp'],
    [['sweep', '--page-size', '0'], '--page-size must be a positive integer, got "0"'],
    [['history', '--model', 'churn', '--limit', 'abc'], '--limit must be a positive integer, got "abc"'],
    [['ingest', 'missing.jsonl'], 'missing.jsonl: ENOENT'],
    [['demo', '--days', '5'], '--shift-day 12 must come before the last day (--days 5)'],
    [['report'], 'give --model <id> or --fleet'],
    [['report', '--model', 'churn', '--fleet'], 'give --model <id> or --fleet'],
    [['roi', '--model', 'churn', '--days', '0'], '--days must be a positive integer, got "0"'],
  ])('rejects %j with a message naming the problem', async (args, message) => {
    const result = await kaizen(...args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });

  it('prints the outcome, then history and status show it', async () => {
    await kaizen('models', 'put', POLICY);
    const run = await kaizen('run', '--model', 'churn', '--dry-run', '--as-of', '2026-11-21T00:00:00Z');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^churn: dry-run \(execution manual-churn-/);
    expect(run.out).toContain('! no champion yet: train the first version');
    const history = await kaizen('history', '--model', 'churn');
    expect(history.out).toMatch(/^2026-11-21 00:00 {2}dry-run +- -> - {2}dry run, retrain: no champion yet/);
    const status = await kaizen('status');
    expect(status.out).toMatch(
      /churn +retrain pending +- +2026-11-21 00:00 run dry-run +no champion yet: train the first version +the last run was a dry run: `kaizen run --model churn` retrains/,
    );
    expect(status.out).toMatch(/0 healthy, 1 need attention$/);
  });
});

describe("the README's local session, with the example files", () => {
  const example = (name: string) => join(ROOT, 'examples/churn', name);

  it('registers, uploads, ingests, trains and verifies the first version, and shows its lineage', async () => {
    await kaizen('models', 'put', POLICY);
    const upload = await kaizen('upload', example('train.csv'), 'datasets/churn/train.csv');
    expect(upload.out).toMatch(
      /^uploaded .*train\.csv to datasets\/churn\/train\.csv \(\d+ bytes, sha256 [0-9a-f]{12}\)$/,
    );
    await kaizen('upload', example('holdout.csv'), 'datasets/churn/holdout.csv');
    expect((await kaizen('ingest', example('kpis.jsonl'))).out).toBe(
      `${example('kpis.jsonl')}: stored 2 rows, rejected 0`,
    );
    const run = await kaizen('run', '--model', 'churn', '--as-of', '2026-11-21T00:00:00Z');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^churn: promoted/);
    expect(run.out).toContain('v1 promoted and verified: campaign_precision 0.09 -> 0.31');
    const history = await kaizen('history', '--model', 'churn');
    expect(history.out).toMatch(/^2026-11-21 00:00 {2}promoted +- -> v1/);
    const versions = await kaizen('versions', '--model', 'churn');
    const expectedSha = createHash('sha256')
      .update(await readFile(example('train.csv')))
      .digest('hex')
      .slice(0, 12);
    expect(versions.out).toMatch(
      new RegExp(
        `v1 +champion +builtin +- +2026-11-21 00:00 +1500 rows of datasets/churn/train.csv +${expectedSha} +auc 0\\.\\d{4} +models/churn/manual-churn-\\S+/model\\.json`,
      ),
    );
    expect(versions.out).toMatch(/2026-11-21 00:00 {2}- -> v1 {2}promoted by the gate/);
  });
});

describe('kaizen sweep and status', () => {
  it('a sweep records a check per model, and status shows it next to the last run', async () => {
    await kaizen('models', 'put', POLICY);
    const sweep = await kaizen('sweep');
    expect(sweep.out).toMatch(/^swept 1 models in 1 pages: 0 healthy, 0 watch, 1 retrain \(1 loops started/);
    // The loop it started failed (no training data was uploaded): the sweep says so with a non-zero exit.
    expect(sweep.code).toBe(1);
    // The sweep names the model that needs someone, and what it needs.
    expect(sweep.out).toMatch(
      /\n1 model needs attention:\n {2}churn: failed, ObjectNotFoundError: .*train\.csv.*; fix the cause \(`kaizen history --model churn`\), then `kaizen run --model churn`$/,
    );
    const status = await kaizen('status');
    expect(status.out).toMatch(/^MODEL +STATE +CHAMPION +LAST CHECK +WHY +NEXT/);
    expect(status.out).toMatch(
      /\nchurn +failed +- +\d{4}-\d{2}-\d{2} \d{2}:\d{2} retrain +ObjectNotFoundError: /,
    );
    const json = JSON.parse((await kaizen('--json', 'status')).out);
    expect(json).toEqual({
      models: [
        expect.objectContaining({
          modelId: 'churn',
          state: 'failed',
          needsAttention: true,
          champion: null,
          lastCheck: expect.objectContaining({ source: 'sweep', action: 'retrain' }),
          lastRun: expect.objectContaining({ outcome: 'failed' }),
        }),
      ],
    });
    const history = JSON.parse((await kaizen('--json', 'history', '--model', 'churn')).out);
    expect(Object.keys(history)).toEqual(['runs', 'checks']);
    expect(history.checks).toEqual([]);
    const withChecks = JSON.parse(
      (await kaizen('--json', 'history', '--model', 'churn', '--checks', '2')).out,
    );
    expect(Object.keys(withChecks)).toEqual(['runs', 'checks']);
    expect(withChecks.checks).toEqual([expect.objectContaining({ action: 'retrain', source: 'sweep' })]);
    // The fleet report shows the same state; the model report and roi work on a model without a deploy.
    const fleet = await kaizen('report', '--fleet', '--out', join(home, 'fleet.html'));
    expect(fleet.out).toBe(`wrote the fleet report to ${join(home, 'fleet.html')}`);
    expect(await readFile(join(home, 'fleet.html'), 'utf8')).toMatch(
      /churn<\/td><td><span class="state bad">failed/,
    );
    const report = await kaizen('report', '--model', 'churn', '--out', join(home, 'churn.html'));
    expect(report.code).toBe(0);
    expect(await readFile(join(home, 'churn.html'), 'utf8')).toContain('ObjectNotFoundError');
    const roi = JSON.parse((await kaizen('--json', 'roi', '--model', 'churn')).out);
    expect(roi).toMatchObject({ modelId: 'churn', deploys: [], cost: { counted: { checks: 1, runs: 1 } } });
    expect(roi.cost.total).toBeGreaterThan(0);
  });
});

describe('exit codes for bad input', () => {
  it.each([
    [['history', '--model', 'ghost'], 'model "ghost" is not registered'],
    [['versions', '--model', 'ghost'], 'model "ghost" is not registered'],
    [['unlock', '--model', 'ghost'], 'model "ghost" is not registered'],
    [['history'], "required option '--model <id>' not specified"],
    [['status', '--colour'], "unknown option '--colour'"],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ])('%j exits 2 and says why', async (args, message) => {
    await kaizen('models', 'put', POLICY);
    const result = await kaizen(...args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });

  it('help and version still exit 0', async () => {
    expect((await kaizen('--version')).code).toBe(0);
    expect((await kaizen('--help')).code).toBe(0);
  });
});

describe('kaizen unlock', () => {
  it('releases a lock left by a run that is gone, names it, and records it in history', async () => {
    await kaizen('models', 'put', POLICY);
    const backend = await localBackend(home);
    await acquireLock(backend.ctx, 'churn', 'manual-churn-gone', new Date(Date.now() + 3_600_000));
    await backend.close();

    const blocked = await kaizen('run', '--model', 'churn', '--as-of', '2026-11-21T00:00:00Z');
    expect(blocked.out).toContain('blocked: lock held by manual-churn-gone');
    expect(blocked.out).toMatch(/manual-churn-gone until \d{4}-.*kaizen unlock --model churn/);

    const unlocked = await kaizen('unlock', '--model', 'churn');
    expect(unlocked.code).toBe(0);
    expect(unlocked.out).toMatch(
      /^churn: lock of manual-churn-gone \(taken .*, expiring .*\) released by hand$/,
    );
    expect((await kaizen('unlock', '--model', 'churn')).out).toBe('churn: no lock held');
    const history = await kaizen('history', '--model', 'churn');
    expect(history.out).toMatch(/unlocked +- -> - +lock of manual-churn-gone/);
    const run = await kaizen('run', '--model', 'churn', '--dry-run', '--as-of', '2026-11-21T00:00:00Z');
    expect(run.out).toMatch(/^churn: dry-run/);
  });
});

describe('retention', () => {
  it("writes the TTL attribute from the policy's retention on ingested rows, and none without it", async () => {
    const policy = JSON.parse(await readFile(POLICY, 'utf8'));
    await kaizen('models', 'put', await file('kept.json', JSON.stringify({ ...policy, modelId: 'kept' })));
    await kaizen(
      'models',
      'put',
      await file('short.json', JSON.stringify({ ...policy, modelId: 'short', retention: 'P30D' })),
    );
    const row = (modelId: string) =>
      JSON.stringify({
        type: 'kpi',
        modelId,
        metric: 'm',
        value: 1,
        count: 1,
        timestamp: '2026-11-20T00:00:00Z',
      });
    expect((await kaizen('ingest', await file('rows.jsonl', `${row('kept')}\n${row('short')}`))).code).toBe(
      0,
    );

    const backend = await localBackend(home);
    const window = { start: '2026-11-20', end: '2026-11-21' };
    const [short] = (await queryObservations(backend.ctx, 'short', window)) as Record<string, unknown>[];
    const [kept] = (await queryObservations(backend.ctx, 'kept', window)) as Record<string, unknown>[];
    await backend.close();
    expect(short?.expiresAt).toBe(Date.parse('2026-11-20T00:00:00Z') / 1000 + 30 * 86_400);
    expect(kept).toBeDefined();
    expect(kept?.expiresAt).toBeUndefined();
  });
});

describe('kaizen ingest of doubtful rows', () => {
  it('stores a repeated row once, rejects a conflicting one, and warns about a metric no rule reads', async () => {
    await kaizen('models', 'put', POLICY);
    const row = (extra: Record<string, unknown>) =>
      JSON.stringify({ ...precision('2026-11-20T00:00:00Z', 0.3), ...extra });
    const path = await file(
      'doubtful.jsonl',
      [row({}), row({}), row({ value: 0.5 }), row({ metric: 'campain_precision' })].join('\n'),
    );
    const result = await kaizen('ingest', path);
    expect(result.code).toBe(1);
    expect(result.out.split('\n')[0]).toBe(
      `${path}: stored 2 rows, rejected 1 (1 repeated rows stored once)`,
    );
    expect(result.err).toContain(`${path}:3: conflicts with line 1: same modelId, metric and timestamp`);
    expect(result.err).toContain(
      `${path}: warning: 1 rows name metric "campain_precision", which the policy of churn does not use`,
    );
  });

  it('refuses a CSV whose header names a column twice, storing nothing', async () => {
    await kaizen('models', 'put', POLICY);
    const path = await file('twice.csv', 'type,modelId,metric,value,value,count,timestamp\n');
    const result = await kaizen('ingest', path);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${path}: line 1: the header names column "value" twice`);
  });
});

describe('while another command holds the home', () => {
  it('read-only commands work on its stack; commands that write are told to wait', async () => {
    await kaizen('models', 'put', POLICY);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/local/hold-home.ts', home], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (data: Buffer) => {
        if (data.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    try {
      const status = await kaizen('status');
      expect(status.code).toBe(0);
      expect(status.out).toMatch(/^MODEL .*\n.*\nchurn /);
      expect((await kaizen('models', 'list')).out).toMatch(/churn +- +P1D/);
      const put = await kaizen('models', 'put', POLICY);
      expect(put.code).toBe(1);
      expect(put.err).toMatch(/another kaizen command is using .*; wait for it/);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      await exited;
    }
  });
});
