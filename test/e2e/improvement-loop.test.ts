import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinTraining } from '#domain/policy.ts';
import { getText, putText } from '#stores/artifacts.ts';
import { aliasHistory, getChampion } from '#stores/champion.ts';
import { putPolicy } from '#stores/policies.ts';
import { listRuns } from '#stores/runs.ts';
import { listVersions } from '#stores/versions.ts';
import { customers, random, toCsv } from '../../cli/demo/world.ts';
import { freshStack, observe, precision, type TestStack, writeDatasets } from '../support/loop.ts';

// Real ASL, real handlers, dynalite and s3rver: the scenarios of the improvement loop end to end.
const T0 = '2026-11-10T00:00:00.000Z';
const T1 = '2026-11-20T00:00:00.000Z';
const earlier = (iso: string) => new Date(Date.parse(iso) - 6 * 3_600_000).toISOString();
const later = (iso: string) => new Date(Date.parse(iso) + 6 * 3_600_000).toISOString();

let stack: TestStack;

const bootstrap = () => stack.bootstrap(T0);

beforeEach(async () => {
  stack = await freshStack();
});
afterEach(async () => {
  await stack.close();
});

describe('improvement loop on the local stack', () => {
  it('trains, deploys and verifies the first champion, recording its baseline', async () => {
    const { record } = await bootstrap();
    expect(record).toMatchObject({
      championBefore: null,
      championAfter: 1,
      candidate: { version: 1, parentVersion: null },
    });
    expect(record?.decision?.reasons[0]).toMatchObject({ rule: 'no-champion', breached: true });
    const champion = await getChampion(stack.ctx, 'churn');
    expect(champion).toMatchObject({ version: 1, baseline: { campaign_precision: 0.3 } });
    const model = JSON.parse(await getText(stack.ctx, champion?.artifactKey ?? ''));
    expect(model).toMatchObject({
      kind: 'logistic-regression',
      features: ['tenure', 'monthly_charges', 'support_calls'],
    });
    const [version] = await listVersions(stack.ctx, 'churn');
    expect(version).toMatchObject({
      version: 1,
      status: 'champion',
      dataset: {
        key: 'datasets/churn/train.csv',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        rows: 7000,
      },
      params: { learningRate: 0.5, epochs: 300, l2: 0.001 },
    });
  });

  it('publishes every champion change and failure as an event, and nothing for a healthy run', async () => {
    const { record } = await bootstrap();
    await observe(stack.ctx, precision(earlier(T1), 0.31));
    await stack.run({ asOf: T1 });
    await putPolicy(stack.ctx, {
      ...stack.policy,
      training: { ...builtinTraining(stack.policy), dataset: 'datasets/churn/missing.csv' },
    });
    await stack.run({ asOf: T1, force: true });
    const events = (await readFile(join(stack.home, 'events.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event['detail-type'])).toEqual([
      'Kaizen Model Promoted',
      'Kaizen Run Failed',
    ]);
    expect(events[0]).toMatchObject({
      source: 'kaizen-loop',
      detail: {
        modelId: 'churn',
        outcome: 'promoted',
        championBefore: null,
        championAfter: 1,
        championArtifact: record?.candidate?.artifactKey,
        candidate: { version: 1, backend: 'builtin' },
        scores: { metric: 'auc', champion: null },
      },
    });
    expect(events[1]?.detail).toMatchObject({
      outcome: 'failed',
      championBefore: 1,
      championAfter: 1,
      error: { name: 'ObjectNotFoundError' },
    });
  });

  it('records a healthy run and changes nothing', async () => {
    await bootstrap();
    await observe(stack.ctx, precision(earlier(T1), 0.31));
    const { status, record } = await stack.run({ asOf: T1 });
    expect(status).toBe('SUCCEEDED');
    expect(record).toMatchObject({ outcome: 'no-action', championBefore: 1, championAfter: 1 });
    expect(record?.decision?.reasons.every((reason) => !reason.breached)).toBe(true);
    expect((await listVersions(stack.ctx, 'churn')).length).toBe(1);
    const runs = await listRuns(stack.ctx, 'churn');
    expect(runs.map((run) => run.outcome)).toEqual(['no-action', 'promoted']);
  });

  it('retrains on a KPI breach, promotes the better candidate and verifies it', async () => {
    await bootstrap();
    await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
    await observe(stack.ctx, precision(earlier(T1), 0.22), precision(later(T1), 0.45));
    const { record } = await stack.run({ asOf: T1 });
    expect(record).toMatchObject({ outcome: 'promoted', championBefore: 1, championAfter: 2 });
    expect(record?.decision?.reasons).toContainEqual(
      expect.objectContaining({ rule: 'kpi-relative-drop', subject: 'campaign_precision', breached: true }),
    );
    expect(record?.evaluation?.promote).toBe(true);
    expect(record?.evaluation?.candidateScore).toBeGreaterThan(
      (record?.evaluation?.championScore ?? 1) + 0.005,
    );
    expect(record?.verification).toMatchObject({ verdict: 'pass', checks: 1 });
    expect(await getChampion(stack.ctx, 'churn')).toMatchObject({
      version: 2,
      baseline: { campaign_precision: 0.45 },
    });
    const versions = await listVersions(stack.ctx, 'churn');
    expect(versions.map((v) => [v.version, v.status, v.parentVersion])).toEqual([
      [2, 'champion', 1],
      [1, 'retired', null],
    ]);
  });

  it('keeps the champion when the gate rejects the candidate', async () => {
    await bootstrap();
    // Same data as v1 was trained on: the candidate cannot beat the champion by the margin.
    await writeDatasets(stack.ctx, stack.policy, { seed: 1, shifted: false });
    await observe(stack.ctx, precision(earlier(T1), 0.1));
    const { record } = await stack.run({ asOf: T1 });
    expect(record).toMatchObject({ outcome: 'rejected', championBefore: 1, championAfter: 1 });
    expect(record?.evaluation?.promote).toBe(false);
    expect(record?.summary).toMatch(/v2 rejected by the gate: .*below the required margin/);
    expect((await getChampion(stack.ctx, 'churn'))?.version).toBe(1);
    expect((await listVersions(stack.ctx, 'churn'))[0]).toMatchObject({ version: 2, status: 'rejected' });
  });

  it('records a training failure, notifies, fails the execution and leaves the champion alone', async () => {
    await bootstrap();
    await putPolicy(stack.ctx, {
      ...stack.policy,
      training: { ...builtinTraining(stack.policy), dataset: 'datasets/churn/missing.csv' },
    });
    await observe(stack.ctx, precision(earlier(T1), 0.1));
    const result = await stack.run({ asOf: T1 });
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('ImprovementLoopFailed');
    const [last] = await listRuns(stack.ctx, 'churn');
    expect(last).toMatchObject({
      outcome: 'failed',
      championBefore: 1,
      championAfter: 1,
      error: { name: 'ObjectNotFoundError' },
    });
    expect(last?.summary).toMatch(/datasets\/churn\/missing\.csv does not exist; champion unchanged/);
    expect((await getChampion(stack.ctx, 'churn'))?.version).toBe(1);
    const notifications = (await readFile(join(stack.home, 'notifications.jsonl'), 'utf8'))
      .trim()
      .split('\n');
    expect(notifications).toHaveLength(1);
    expect(JSON.parse(notifications[0] ?? '{}')).toMatchObject({ subject: 'Kaizen Loop: churn failed' });
  });

  it('rolls back when the KPIs get worse after the deploy', async () => {
    await bootstrap();
    await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
    await observe(stack.ctx, precision(earlier(T1), 0.22), precision(later(T1), 0.12));
    const { record } = await stack.run({ asOf: T1 });
    expect(record).toMatchObject({ outcome: 'rolled-back', championBefore: 1, championAfter: 1 });
    expect(record?.verification).toMatchObject({ verdict: 'fail' });
    // Before: v1's recent level (its two windows with data, 0.3 and 0.22, count-weighted).
    expect(record?.summary).toMatch(
      /v2 rolled back to v1: campaign_precision 0\.26 -> 0\.12 \(-54%.*\): worse than before with 95% confidence/,
    );
    expect((await getChampion(stack.ctx, 'churn'))?.version).toBe(1);
    const history = await aliasHistory(stack.ctx, 'churn');
    expect(history.map((change) => [change.version, change.previousVersion])).toEqual([
      [1, 2],
      [2, 1],
      [1, null],
    ]);
    expect((await listVersions(stack.ctx, 'churn'))[0]).toMatchObject({ version: 2, status: 'rolled-back' });
  });

  it('rolls back when no post-deploy data arrives by the last check', async () => {
    await bootstrap();
    await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
    await observe(stack.ctx, precision(earlier(T1), 0.22));
    const { record } = await stack.run({ asOf: T1 });
    expect(record).toMatchObject({ outcome: 'rolled-back', championAfter: 1 });
    const { maxChecks } = stack.policy.rollout;
    expect(record?.verification).toMatchObject({ verdict: 'fail', checks: maxChecks });
    expect(record?.verification?.reasons).toContain(`no data after ${maxChecks} checks counts as a failure`);
  });

  it('decides but does not retrain on a dry run', async () => {
    await bootstrap();
    await observe(stack.ctx, precision(earlier(T1), 0.1));
    const { record } = await stack.run({ asOf: T1, dryRun: true });
    expect(record).toMatchObject({ outcome: 'dry-run', dryRun: true, decision: { action: 'retrain' } });
    expect((await listVersions(stack.ctx, 'churn')).length).toBe(1);
  });

  it('rejects an invalid execution input with a failed execution naming the field', async () => {
    const result = await stack.backend.runLoop(
      { modelId: 'Not Valid', force: false, dryRun: false },
      'test-invalid-input',
    );
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('InvalidInput');
    expect(await listRuns(stack.ctx, 'Not Valid')).toEqual([]);
  });
});

describe('fresh training data: daily objects', () => {
  const daily = {
    training: {
      dataset: 'datasets/churn/train/{date}.csv',
      window: 'P3D',
      label: 'churned',
      features: ['tenure', 'monthly_charges', 'support_calls'],
    },
    evaluation: { holdout: 'datasets/churn/holdout/{date}.csv', metric: 'auc' as const, minScore: 0.6 },
  };
  const day = (offset: number) => new Date(Date.parse(T0) + offset * 86_400_000).toISOString().slice(0, 10);

  it('retrains on every day of the training window and scores on the holdout days, keeping their keys', async () => {
    await stack.close();
    stack = await freshStack(daily);
    const next = random(3);
    for (const offset of [-3, -2, -1])
      await putText(
        stack.ctx,
        `datasets/churn/train/${day(offset)}.csv`,
        toCsv([customers(next, 500, false)]),
      );
    await putText(stack.ctx, `datasets/churn/holdout/${day(-1)}.csv`, toCsv([customers(next, 1000, false)]));
    await observe(stack.ctx, precision(later(T0), 0.3));
    const { record } = await stack.run({ asOf: T0 });
    expect(record?.outcome).toBe('promoted');
    expect(record?.candidate?.dataset).toMatchObject({
      key: 'datasets/churn/train/{date}.csv',
      rows: 1500,
      keys: [-3, -2, -1].map((offset) => `datasets/churn/train/${day(offset)}.csv`),
    });
    expect(record?.evaluation?.holdout).toMatchObject({
      key: 'datasets/churn/holdout/{date}.csv',
      rows: 1000,
    });
  });

  it('fails the run naming a missing daily object, the champion unchanged', async () => {
    await stack.close();
    stack = await freshStack(daily);
    const next = random(3);
    for (const offset of [-3, -1])
      await putText(
        stack.ctx,
        `datasets/churn/train/${day(offset)}.csv`,
        toCsv([customers(next, 500, false)]),
      );
    const result = await stack.run({ asOf: T0 });
    expect(result.status).toBe('FAILED');
    const [last] = await listRuns(stack.ctx, 'churn');
    expect(last).toMatchObject({
      outcome: 'failed',
      championAfter: null,
      error: { name: 'ObjectNotFoundError' },
    });
    expect(last?.error?.message).toContain(`datasets/churn/train/${day(-2)}.csv does not exist`);
  });

  it('says when a retrain used exactly the data of the champion', async () => {
    await bootstrap();
    await observe(stack.ctx, precision(earlier(T1), 0.1));
    const { record } = await stack.run({ asOf: T1 });
    expect(record?.candidate?.dataset.sameAsChampion).toBe(true);
    expect(record?.evaluation?.reasons).toContainEqual(
      expect.stringMatching(
        /^the candidate was trained on exactly the champion's data \(sha256 [0-9a-f]{12}\)/,
      ),
    );
  });
});
