import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '#domain/policy.ts';
import { projectPath } from '#lib/project.ts';
import { listModels, putPolicy } from '#stores/policies.ts';
import { listModelIds } from '#stores/registered.ts';
import { useLocalStack } from '../../support/stack.ts';

const example = JSON.parse(readFileSync(projectPath('examples/churn-policy.json'), 'utf8'));

describe('listModelIds (local DynamoDB)', () => {
  const local = useLocalStack();

  it('names no model before any is registered', async () => {
    expect(await listModelIds(local.ctx)).toEqual([]);
  });

  it('names every registered model once, in the order listModels reads them', async () => {
    for (const modelId of ['fraud', 'churn', 'upsell']) {
      await putPolicy(local.ctx, parsePolicy({ ...example, modelId }));
    }
    // A policy replaced is still one model.
    await putPolicy(local.ctx, parsePolicy({ ...example, modelId: 'churn' }));

    const ids = await listModelIds(local.ctx);

    expect(ids).toEqual(['churn', 'fraud', 'upsell']);
    expect(ids).toEqual((await listModels(local.ctx)).map((entry) => entry.modelId));
  });
});
