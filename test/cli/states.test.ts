import { readFileSync } from 'node:fs';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '#domain/policy.ts';
import type { RunRecord } from '#domain/record.ts';
import { projectPath } from '#lib/project.ts';
import { REGISTRY_KEYS } from '#stores/keys.ts';
import { putPolicy } from '#stores/policies.ts';
import { putRun } from '#stores/runs.ts';
import { modelStates } from '../../cli/states.ts';
import { useLocalStack } from '../support/stack.ts';

const example = JSON.parse(readFileSync(projectPath('examples/churn-policy.json'), 'utf8'));

const failed = (modelId: string): RunRecord => ({
  modelId,
  executionName: `manual-${modelId}`,
  startedAt: '2026-11-20T00:00:00.000Z',
  finishedAt: '2026-11-20T00:05:00.000Z',
  asOf: '2026-11-20T00:00:00.000Z',
  outcome: 'failed',
  summary: 'failed: DatasetError: no rows',
  championBefore: null,
  championAfter: null,
  force: false,
  dryRun: false,
  error: { name: 'DatasetError', message: 'no rows' },
});

describe('modelStates: the last run of every model', () => {
  const local = useLocalStack();

  it('reads it from the latest-run items, and from the run records for models registered before them', async () => {
    for (const modelId of ['fresh', 'current', 'older']) {
      await putPolicy(local.ctx, parsePolicy({ ...example, modelId }));
    }
    await putRun(local.ctx, failed('current'));
    await putRun(local.ctx, failed('older'));
    // As stored by a version that kept no latest-run item.
    await local.ctx.ddb.send(
      new DeleteCommand({
        TableName: local.ctx.config.registryTable,
        Key: { pk: 'older', sk: REGISTRY_KEYS.latestRun },
      }),
    );

    const states = new Map(
      (await modelStates(local.ctx, new Date('2026-11-20T01:00:00.000Z'))).map((row) => [row.modelId, row]),
    );

    expect(states.get('fresh')).toMatchObject({ lastRun: null });
    for (const modelId of ['current', 'older']) {
      expect(states.get(modelId)).toMatchObject({
        state: 'failed',
        lastRun: {
          executionName: `manual-${modelId}`,
          outcome: 'failed',
          summary: 'failed: DatasetError: no rows',
          asOf: '2026-11-20T00:00:00.000Z',
          finishedAt: '2026-11-20T00:05:00.000Z',
        },
      });
    }
    expect(states.get('older')?.why).toBe(states.get('current')?.why);
  });
});
