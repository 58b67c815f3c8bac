import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ModelNotFoundError } from '#contracts/errors.ts';
import { MODEL_KIND } from '#contracts/tables.ts';
import { arrivalPrefix } from '#domain/arrivals.ts';
import { durationSeconds } from '#domain/duration.ts';
import { type ModelPolicy, parsePolicy } from '#domain/policy.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { deleteSubscription, putSubscription } from './arrivals.ts';
import { REGISTRY_KEYS } from './keys.ts';
import { pageStoredModels, type StoredModel } from './registered.ts';
import { markNoRunYet } from './runs.ts';

export interface ModelEntry extends Omit<StoredModel, 'policy'> {
  policy: ModelPolicy;
}

/**
 * Registers a model or replaces its policy (the policy must already be validated). A policy whose window datasets
 * S3 announces is subscribed to their arrival first, so no announcement finds the policy without its subscription;
 * a subscription the new policy no longer needs is removed after.
 */
export async function putPolicy(
  ctx: KaizenContext,
  policy: ModelPolicy,
  now = new Date().toISOString(),
): Promise<void> {
  const prefix = policy.monitoring ? arrivalPrefix(policy.monitoring.current) : undefined;
  if (prefix !== undefined && policy.monitoring) {
    await putSubscription(ctx, prefix, {
      modelId: policy.modelId,
      template: policy.monitoring.current,
      ...(policy.retention === undefined ? {} : { retentionSeconds: durationSeconds(policy.retention) }),
    });
  }
  const { Attributes } = await ctx.ddb.send(
    new UpdateCommand({
      TableName: ctx.config.registryTable,
      Key: { pk: policy.modelId, sk: REGISTRY_KEYS.policy },
      UpdateExpression: `SET policy = :policy, kind = :kind, updatedAt = :now, registeredAt = if_not_exists(registeredAt, :now)${
        prefix === undefined ? ' REMOVE arrivalPrefix' : ', arrivalPrefix = :prefix'
      }`,
      ExpressionAttributeValues: {
        ':policy': policy,
        ':now': now,
        ':kind': MODEL_KIND,
        ...(prefix === undefined ? {} : { ':prefix': prefix }),
      },
      ReturnValues: 'ALL_OLD',
    }),
  );
  if (!Attributes) await markNoRunYet(ctx, policy.modelId);
  const previous = Attributes?.arrivalPrefix as string | undefined;
  if (previous !== undefined && previous !== prefix) await deleteSubscription(ctx, previous, policy.modelId);
}

/** The model's policy; throws {@link ModelNotFoundError} for an unregistered id. */
export async function getPolicy(ctx: KaizenContext, modelId: string): Promise<ModelPolicy> {
  const { Item } = await ctx.ddb.send(
    new GetCommand({ TableName: ctx.config.registryTable, Key: { pk: modelId, sk: REGISTRY_KEYS.policy } }),
  );
  if (!Item)
    throw new ModelNotFoundError(`model "${modelId}" is not registered (kaizen models put <policy.json>)`);
  return parsePolicy(Item.policy, `stored policy of ${modelId}`);
}

/** Every registered model, ordered by id (pages of the `byKind` index). */
export async function listModels(ctx: KaizenContext): Promise<ModelEntry[]> {
  const models: ModelEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await pageModels(ctx, 500, cursor);
    models.push(...page.models);
    cursor = page.next ?? undefined;
  } while (cursor);
  return models;
}

/** A stored model with its policy parsed; a `PolicyError` naming the model if the policy no longer parses. */
export function modelEntry(stored: StoredModel): ModelEntry {
  return { ...stored, policy: parsePolicy(stored.policy, `stored policy of ${stored.modelId}`) };
}

/** One page of registered models in id order, from the `byKind` index. */
export async function pageModels(
  ctx: KaizenContext,
  limit: number,
  cursor?: string,
): Promise<{ models: ModelEntry[]; next: string | null }> {
  const page = await pageStoredModels(ctx, limit, cursor);
  return { models: page.models.map(modelEntry), next: page.next };
}
