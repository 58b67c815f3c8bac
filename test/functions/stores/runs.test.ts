import { readFileSync } from 'node:fs';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '#domain/policy.ts';
import type { RunRecord } from '#domain/record.ts';
import { projectPath } from '#lib/project.ts';
import { REGISTRY_KEYS } from '#stores/keys.ts';
import { putPolicy } from '#stores/policies.ts';
import { getLatestRuns, listRuns, putRun } from '#stores/runs.ts';
import { useLocalStack } from '../../support/stack.ts';

const example = JSON.parse(readFileSync(projectPath('examples/churn-policy.json'), 'utf8'));
const policy = (modelId: string, extra: Record<string, unknown> = {}) =>
  parsePolicy({ ...example, ...extra, modelId });

/** A run record of `modelId` started at `startedAt`. */
function run(
  modelId: string,
  startedAt: string,
  outcome: RunRecord['outcome'],
  name = `run-${startedAt}`,
): RunRecord {
  return {
    modelId,
    executionName: name,
    startedAt,
    finishedAt: startedAt.replace('T00', 'T01'),
    asOf: startedAt,
    outcome,
    summary: `${outcome} at ${startedAt}`,
    championBefore: 1,
    championAfter: outcome === 'promoted' ? 2 : 1,
    force: false,
    dryRun: false,
    ...(outcome === 'failed' ? { error: { name: 'DatasetError', message: 'no rows' } } : {}),
  };
}

describe('latest runs (local DynamoDB)', () => {
  const local = useLocalStack();
  const latest = async (modelId: string) => (await getLatestRuns(local.ctx, [modelId])).get(modelId);

  it('is null for a model registered without a run, then its newest loop run', async () => {
    await putPolicy(local.ctx, policy('fresh'));
    expect((await getLatestRuns(local.ctx, ['fresh'])).has('fresh')).toBe(true);
    expect(await latest('fresh')).toBeNull();

    await putRun(local.ctx, run('fresh', '2026-11-02T00:00:00.000Z', 'failed'));
    await putRun(local.ctx, run('fresh', '2026-11-03T00:00:00.000Z', 'promoted'));

    expect(await latest('fresh')).toEqual({
      executionName: 'run-2026-11-03T00:00:00.000Z',
      startedAt: '2026-11-03T00:00:00.000Z',
      finishedAt: '2026-11-03T01:00:00.000Z',
      asOf: '2026-11-03T00:00:00.000Z',
      outcome: 'promoted',
      summary: 'promoted at 2026-11-03T00:00:00.000Z',
      championAfter: 2,
    });
  });

  it('keeps the newest run when an older one is recorded late or again, and skips locks released by hand', async () => {
    await putPolicy(local.ctx, policy('late'));
    const newer = run('late', '2026-11-05T00:00:00.000Z', 'rolled-back');
    await putRun(local.ctx, newer);
    await putRun(local.ctx, run('late', '2026-11-04T00:00:00.000Z', 'failed'));
    await putRun(local.ctx, run('late', '2026-11-06T00:00:00.000Z', 'unlocked'));
    await putRun(local.ctx, newer);

    expect((await latest('late'))?.executionName).toBe(newer.executionName);
    expect((await listRuns(local.ctx, 'late')).map((record) => record.outcome)).toEqual([
      'unlocked',
      'rolled-back',
      'failed',
    ]);
  });

  it('orders runs started at the same instant by execution name, as their records sort', async () => {
    const at = '2026-11-07T00:00:00.000Z';
    await putRun(local.ctx, run('twins', at, 'no-action', 'b-run'));
    await putRun(local.ctx, run('twins', at, 'promoted', 'a-run'));
    expect((await latest('twins'))?.executionName).toBe('b-run');
    expect((await listRuns(local.ctx, 'twins', 1))[0]?.executionName).toBe('b-run');
  });

  it('keeps the run when the policy of a model that has run is stored again', async () => {
    await putPolicy(local.ctx, policy('again'));
    await putRun(local.ctx, run('again', '2026-11-08T00:00:00.000Z', 'promoted'));
    await putPolicy(local.ctx, policy('again', { description: 'changed' }));
    expect((await latest('again'))?.outcome).toBe('promoted');
  });

  it('is absent for a model registered before latest runs were kept', async () => {
    await putPolicy(local.ctx, policy('older'));
    await local.ctx.ddb.send(
      new DeleteCommand({
        TableName: local.ctx.config.registryTable,
        Key: { pk: 'older', sk: REGISTRY_KEYS.latestRun },
      }),
    );
    expect((await getLatestRuns(local.ctx, ['older', 'fresh'])).has('older')).toBe(false);
  });
});
