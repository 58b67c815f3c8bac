import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMPUTED_ORIGIN } from '#domain/observations.ts';
import { streamRecords } from '#local/streams.ts';
import { putText } from '#stores/artifacts.ts';
import { getChampion } from '#stores/champion.ts';
import { listChecks } from '#stores/checks.ts';
import { REGISTRY_KEYS } from '#stores/keys.ts';
import { queryMetricRows } from '#stores/observations.ts';
import { listModels, putPolicy } from '#stores/policies.ts';
import { listRuns } from '#stores/runs.ts';
import { countRequests } from '../../bench/capacity.ts';
import { triggerFromRecords } from '../../functions/trigger/trigger.ts';
import { freshStack, observe, precision, type TestStack, writeDatasets } from '../support/loop.ts';

// Sweeps, event triggers, idempotent starts and the per-model lock on the local stack.
const T0 = '2026-11-10T00:00:00.000Z';
const T1 = '2026-11-20T00:00:00.000Z';
const hours = (iso: string, h: number) => new Date(Date.parse(iso) + h * 3_600_000).toISOString();
const kpi = (modelId: string, timestamp: string, value: number) => ({
  ...precision(timestamp, value),
  modelId,
});

let stack: TestStack;

/** Registers `ids` with the example policy and gives each a verified first champion trained at T0. */
async function fleet(...ids: string[]) {
  await writeDatasets(stack.ctx, stack.policy, { seed: 1, shifted: false });
  for (const modelId of ids) {
    await putPolicy(stack.ctx, { ...stack.policy, modelId });
    await observe(stack.ctx, kpi(modelId, hours(T0, 6), 0.3));
    const { record } = await stack.backend.runLoop(
      { modelId, force: false, dryRun: false, asOf: T0 },
      `bootstrap-${modelId}`,
    );
    expect(record?.outcome).toBe('promoted');
  }
}

beforeEach(async () => {
  stack = await freshStack({}, { register: false });
});
afterEach(async () => {
  await stack.close();
});

describe('fleet sweep', () => {
  it('checks every model, starts a loop only where the policy says retrain, and records every decision', async () => {
    await fleet('healthy', 'broken', 'quiet');
    await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
    await observe(
      stack.ctx,
      kpi('healthy', hours(T1, -6), 0.31),
      kpi('broken', hours(T1, -6), 0.2),
      kpi('broken', hours(T1, 6), 0.45),
    );

    const sweep = await stack.backend.runSweep({ at: hours(T1, 1), pageSize: 2 }, 'sweep-1');
    expect(sweep.status).toBe('SUCCEEDED');
    expect(sweep.pages).toBe(2);
    expect(sweep.totals).toMatchObject({ models: 3, none: 2, retrain: 1, started: 1, duplicates: 0 });
    expect(sweep.loops.map((loop) => [loop.executionName, loop.record?.outcome])).toEqual([
      ['auto-broken-20261120T000000Z', 'promoted'],
    ]);
    expect((await getChampion(stack.ctx, 'broken'))?.version).toBe(2);
    expect((await getChampion(stack.ctx, 'healthy'))?.version).toBe(1);

    const [check] = await listChecks(stack.ctx, 'quiet', ['2026-11-20']);
    expect(check).toMatchObject({ source: 'sweep', action: 'none', asOf: T1 });
    expect(check?.summary).toMatch(/insufficient data/);
    expect((await listChecks(stack.ctx, 'healthy', ['2026-11-20']))[0]?.summary).toBe(
      'healthy: every rule within its threshold',
    );
  });

  it('records a model whose check fails as its error and checks the rest of the fleet', async () => {
    await fleet('healthy');
    const monitoring = stack.policy.monitoring;
    if (!monitoring) throw new Error('the example policy monitors datasets');
    await putPolicy(stack.ctx, {
      ...stack.policy,
      modelId: 'baddata',
      monitoring: { ...monitoring, current: 'datasets/bad/{date}.csv' },
    });
    await putText(stack.ctx, 'datasets/bad/2026-11-19.csv', 'tenure,monthly_charges\n1,2\n4,"5,6\n');
    await observe(stack.ctx, kpi('healthy', hours(T1, -6), 0.31));
    const sweep = await stack.backend.runSweep({ at: hours(T1, 1), pageSize: 10 }, 'sweep-bad');
    expect(sweep.status).toBe('SUCCEEDED');
    expect(sweep.totals).toMatchObject({ models: 2, none: 1, errors: 1 });
    const [bad] = await listChecks(stack.ctx, 'baddata', ['2026-11-20']);
    expect(bad).toMatchObject({ action: 'error', asOf: T1 });
    expect(bad?.summary).toMatch(/^check failed: DatasetError: .*datasets\/bad\/2026-11-19\.csv/);
    expect((await listChecks(stack.ctx, 'healthy', ['2026-11-20']))[0]).toMatchObject({ action: 'none' });
  });

  it('records a model whose stored policy no longer parses as its error and checks the rest of its page', async () => {
    await fleet('healthy');
    await putPolicy(stack.ctx, { ...stack.policy, modelId: 'legacy' });
    // As a policy stored by another version of Kaizen Loop would read: a window this version does not know.
    await stack.ctx.ddb.send(
      new UpdateCommand({
        TableName: stack.ctx.config.registryTable,
        Key: { pk: 'legacy', sk: REGISTRY_KEYS.policy },
        UpdateExpression: 'SET #policy.#window = :window',
        ExpressionAttributeNames: { '#policy': 'policy', '#window': 'window' },
        ExpressionAttributeValues: { ':window': 'fortnightly' },
      }),
    );
    await observe(stack.ctx, kpi('healthy', hours(T1, -6), 0.31));

    const sweep = await stack.backend.runSweep({ at: hours(T1, 1), pageSize: 10 }, 'sweep-legacy');

    expect(sweep.status).toBe('SUCCEEDED');
    expect(sweep.totals).toMatchObject({ models: 2, none: 1, errors: 1 });
    const [legacy] = await listChecks(stack.ctx, 'legacy', ['2026-11-20']);
    expect(legacy).toMatchObject({ action: 'error', asOf: hours(T1, 1) });
    expect(legacy?.summary).toMatch(
      /^check failed: PolicyError: stored policy of legacy is invalid:\n {2}window: /,
    );
    expect((await listChecks(stack.ctx, 'healthy', ['2026-11-20']))[0]).toMatchObject({ action: 'none' });
  });

  it('learns of a window dataset from S3’s notification: no S3 request until it arrives, then its drift is computed', async () => {
    await fleet('watched');
    const monitoring = stack.policy.monitoring;
    if (!monitoring) throw new Error('the example policy monitors datasets');
    await putPolicy(stack.ctx, {
      ...stack.policy,
      modelId: 'watched',
      monitoring: { ...monitoring, current: 'datasets/watched/{date}.csv' },
    });
    expect((await listModels(stack.ctx))[0]?.arrivalPrefix).toBe('datasets/watched/');
    const window = { start: '2026-11-19T00:00:00.000Z', end: T1 };

    // The window's dataset has not arrived: the check asks S3 nothing.
    let requests = await countRequests(stack.ctx.s3);
    const before = await stack.backend.runSweep({ at: hours(T1, 1) }, 'sweep-before');
    requests.stop();
    expect(before.totals).toMatchObject({ models: 1, errors: 0 });
    expect(requests.calls).toEqual({});
    expect((await queryMetricRows(stack.ctx, 'watched', window)).rows).not.toContainEqual(
      expect.objectContaining({ type: 'quality' }),
    );

    // A copy into the window's key is announced (ObjectCreated:Copy) and recorded in the model's partition.
    await stack.ctx.s3.send(
      new CopyObjectCommand({
        Bucket: stack.ctx.config.bucket,
        CopySource: `${stack.ctx.config.bucket}/${stack.policy.evaluation.holdout}`,
        Key: 'datasets/watched/2026-11-19.csv',
      }),
    );
    const { arrivals } = await queryMetricRows(stack.ctx, 'watched', window);
    expect(arrivals).toEqual([
      expect.objectContaining({
        type: 'arrival',
        key: 'datasets/watched/2026-11-19.csv',
        timestamp: window.start,
        bytes: expect.any(Number),
      }),
    ]);
    expect(arrivals[0]?.bytes).toBeGreaterThan(10_000);

    // The next sweep reads it (and the champion's reference) without looking for it first.
    requests = await countRequests(stack.ctx.s3);
    const after = await stack.backend.runSweep({ at: hours(T1, 2) }, 'sweep-after');
    requests.stop();
    expect(after.totals).toMatchObject({ models: 1, errors: 0 });
    expect(requests.calls.ListObjectsV2Command).toBeUndefined();
    expect(requests.calls.HeadObjectCommand ?? 0).toBeLessThanOrEqual(1);
    const { rows } = await queryMetricRows(stack.ctx, 'watched', window);
    expect(rows).toContainEqual(expect.objectContaining({ type: 'quality', rows: 1000 }));
    expect(rows.filter((row) => row.type === 'drift').map((row) => row.feature)).toEqual(
      expect.arrayContaining(monitoring.features.map((feature) => feature.name)),
    );
  });

  it('finds the arrival of a daily dataset for an hourly window late in the day, before its own lookback', async () => {
    await fleet('hourly');
    const monitoring = stack.policy.monitoring;
    if (!monitoring) throw new Error('the example policy monitors datasets');
    // Hourly windows, no KPI rules: the check reads one window back, not to midnight, unless it looks for arrivals.
    await putPolicy(stack.ctx, {
      ...stack.policy,
      modelId: 'hourly',
      window: 'PT1H',
      kpis: [],
      monitoring: {
        ...monitoring,
        reference: stack.policy.evaluation.holdout,
        current: 'datasets/hourly/{date}.csv',
      },
    });
    await stack.ctx.s3.send(
      new CopyObjectCommand({
        Bucket: stack.ctx.config.bucket,
        CopySource: `${stack.ctx.config.bucket}/${stack.policy.evaluation.holdout}`,
        Key: 'datasets/hourly/2026-11-20.csv',
      }),
    );
    const requests = await countRequests(stack.ctx.s3);
    const sweep = await stack.backend.runSweep({ at: hours(T1, 15.5) }, 'sweep-hourly');
    requests.stop();
    // The sweep's own check computed the window: it started no loop whose Monitor could have.
    expect(sweep.totals).toMatchObject({ models: 1, none: 1, errors: 0 });
    expect(sweep.loops).toEqual([]);
    expect(requests.calls.ListObjectsV2Command).toBeUndefined();
    const window = { start: hours(T1, 14), end: hours(T1, 15) };
    const { rows } = await queryMetricRows(stack.ctx, 'hourly', window);
    expect(rows).toContainEqual(expect.objectContaining({ type: 'quality', timestamp: window.start }));
  });

  it('goes on in a new execution from its cursor when its time is up, and checks every model once', async () => {
    await fleet('a1', 'a2', 'a3');
    // Time is "up" after every page: each page continues in a new execution, as near the Express 5-minute limit.
    const sweep = await stack.backend.runSweep(
      { at: hours(T1, 1), pageSize: 1, continueAfterSeconds: 0 },
      'sweep-long',
    );
    expect(sweep.status).toBe('SUCCEEDED');
    // DynamoDB returns a cursor after a full page even when nothing follows: a fourth, empty page ends it.
    expect(sweep.continuedIn).toHaveLength(3);
    expect(sweep).toMatchObject({ pages: 4, totals: { models: 3 } });
    for (const modelId of ['a1', 'a2', 'a3'])
      expect(await listChecks(stack.ctx, modelId, ['2026-11-20'])).toHaveLength(1);
  });

  it('a second sweep of the same window starts nothing and records the duplicate', async () => {
    await fleet('broken');
    // The candidate is trained on the champion's own data: the gate rejects it and the breach persists.
    await observe(stack.ctx, kpi('broken', hours(T1, -6), 0.2));
    const first = await stack.backend.runSweep({ at: hours(T1, 1) }, 'sweep-1');
    expect(first.loops.map((loop) => loop.record?.outcome)).toEqual(['rejected']);
    const second = await stack.backend.runSweep({ at: hours(T1, 2) }, 'sweep-2');
    expect(second.totals).toMatchObject({ retrain: 1, started: 0, duplicates: 1 });
    expect(second.loops).toEqual([]);
    const checks = await listChecks(stack.ctx, 'broken', ['2026-11-20']);
    expect(checks.map((check) => check.start)).toEqual(['duplicate', 'started']);
    expect(
      (await listRuns(stack.ctx, 'broken')).filter((run) => run.executionName.startsWith('auto-')),
    ).toHaveLength(1);
  });
});

describe('event trigger', () => {
  it('starts the loop from new KPI records without waiting for the schedule', async () => {
    await fleet('broken');
    await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
    await observe(stack.ctx, kpi('broken', hours(T1, 6), 0.45));
    const records = [kpi('broken', hours(T1, -6), 0.2)];
    await observe(stack.ctx, ...records);
    const checks = await triggerFromRecords(stack.ctx, streamRecords(records), 'batch-1');
    expect(checks).toEqual([
      expect.objectContaining({
        modelId: 'broken',
        action: 'retrain',
        start: 'started',
        asOf: T1,
        execution: 'auto-broken-20261120T000000Z',
      }),
    ]);
    const loops = await stack.backend.drain();
    expect(loops.map((loop) => loop.record?.outcome)).toEqual(['promoted']);
  });

  it('does not bootstrap a model without a champion; that is the schedule’s or a person’s call', async () => {
    await putPolicy(stack.ctx, { ...stack.policy, modelId: 'fresh' });
    const records = [kpi('fresh', hours(T1, -6), 0.01)];
    await observe(stack.ctx, ...records);
    const [check] = await triggerFromRecords(stack.ctx, streamRecords(records), 'batch-fresh');
    expect(check).toMatchObject({ modelId: 'fresh', action: 'none' });
    expect(check?.start).toBeUndefined();
    expect(await stack.backend.drain()).toEqual([]);
  });

  it('skips records of models nobody registered instead of failing the batch', async () => {
    await fleet('broken');
    const checks = await triggerFromRecords(
      stack.ctx,
      streamRecords([kpi('ghost', T1, 0.3), kpi('broken', hours(T1, -6), 0.31)]),
      'b',
    );
    expect(checks.map((check) => check.modelId)).toEqual(['broken']);
  });

  it('judges a record stamped exactly on a window boundary in the window it starts', async () => {
    await fleet('broken');
    const records = [kpi('broken', T1, 0.2)];
    await observe(stack.ctx, ...records);
    const [check] = await triggerFromRecords(stack.ctx, streamRecords(records), 'batch-boundary');
    // Windows are [start, end): T1 starts the window that ends a day later.
    expect(check).toMatchObject({ modelId: 'broken', asOf: hours(T1, 24) });
  });

  it('does not react to drift rows the loop computed itself', async () => {
    await fleet('broken');
    const computed = {
      type: 'drift' as const,
      origin: COMPUTED_ORIGIN,
      modelId: 'broken',
      feature: 'monthly_charges',
      method: 'psi',
      score: 2.5,
      drifted: true,
      timestamp: hours(T1, -6),
    };
    expect(await triggerFromRecords(stack.ctx, streamRecords([computed]), 'batch-own')).toEqual([]);
  });

  it('ignores records that are not KPI or drift observations', async () => {
    await fleet('churn');
    const records = streamRecords([kpi('churn', T1, 0.3)]).map((record) => ({
      ...record,
      eventName: 'REMOVE' as const,
    }));
    expect(await triggerFromRecords(stack.ctx, records, 'batch-removed')).toEqual([]);
  });
});

describe('per-model lock and idempotency under contention', () => {
  it.each(['broken', `broken-${'x'.repeat(56)}`])(
    '20 concurrent triggers for one model and window start exactly one loop (id %s)',
    async (modelId) => {
      await fleet(modelId);
      await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
      const records = [kpi(modelId, hours(T1, -6), 0.2)];
      await observe(stack.ctx, ...records, kpi(modelId, hours(T1, 6), 0.45));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          triggerFromRecords(stack.ctx, streamRecords(records), `batch-${i}`),
        ),
      );
      const starts = results.flat().map((check) => check.start);
      expect(starts.filter((start) => start === 'started')).toHaveLength(1);
      expect(starts.filter((start) => start === 'duplicate')).toHaveLength(19);
      const loops = await stack.backend.drain();
      expect(loops).toHaveLength(1);
      expect(loops[0]?.executionName.length).toBeLessThanOrEqual(80);
      expect((await getChampion(stack.ctx, modelId))?.version).toBe(2);
    },
  );

  it('two concurrent runs with different names: one works, the other records "blocked: lock held"', async () => {
    await fleet('broken');
    await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
    await observe(stack.ctx, kpi('broken', hours(T1, -6), 0.2), kpi('broken', hours(T1, 6), 0.45));
    const input = { modelId: 'broken', force: false, dryRun: false, asOf: T1 };
    const [a, b] = await Promise.all([
      stack.backend.runLoop(input, 'manual-a'),
      stack.backend.runLoop(input, 'manual-b'),
    ]);
    const outcomes = [a.record?.outcome, b.record?.outcome].sort();
    expect(outcomes).toEqual(['blocked', 'promoted']);
    const blocked = [a, b].find((run) => run.record?.outcome === 'blocked');
    expect(blocked?.record?.decision).toMatchObject({ action: 'blocked', blockedBy: 'lock' });
    expect(blocked?.record?.summary).toMatch(/^blocked: lock held by manual-[ab]$/);
    // The winner released the lock: a later run is not blocked.
    const later = await stack.backend.runLoop({ ...input, asOf: hours(T1, 24) }, 'manual-c');
    expect(later.record?.decision?.blockedBy).toBeUndefined();
  });
});
