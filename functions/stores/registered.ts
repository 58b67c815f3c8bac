import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BY_KIND_INDEX, MODEL_KIND } from '#contracts/tables.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { REGISTRY_KEYS } from './keys.ts';

// The registered models as stored, read without parsing their policies (and without loading the policy schema):
// `status` lists ids, the sweep parses each policy itself (`modelEntry` in `./policies.ts`).

/** A registered model as stored, its policy not yet parsed. */
export interface StoredModel {
  modelId: string;
  policy: unknown;
  registeredAt: string;
  updatedAt: string;
  /**
   * Set when the model is subscribed to the arrival of its window datasets (see `#domain/arrivals.ts`): the
   * literal prefix of the template it was subscribed with. A policy stored before subscriptions existed has none.
   */
  arrivalPrefix?: string;
}

/** The query of the `byKind` index that lists registered models in id order. */
function registeredModels(ctx: KaizenContext) {
  return {
    TableName: ctx.config.registryTable,
    IndexName: BY_KIND_INDEX,
    KeyConditionExpression: 'kind = :kind',
    ExpressionAttributeValues: { ':kind': MODEL_KIND },
  };
}

/** The ids of every registered model, in id order, without reading their policies. */
export async function listModelIds(ctx: KaizenContext): Promise<string[]> {
  const ids: string[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ctx.ddb.send(
      new QueryCommand({
        ...registeredModels(ctx),
        ProjectionExpression: 'pk',
        ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) ids.push(item.pk as string);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return ids;
}

/**
 * One page of registered models in id order, from the `byKind` index, as stored: a caller that checks each model
 * parses each policy on its own (`modelEntry`), so one that no longer parses fails only its model.
 */
export async function pageStoredModels(
  ctx: KaizenContext,
  limit: number,
  cursor?: string,
): Promise<{ models: StoredModel[]; next: string | null }> {
  const page = await ctx.ddb.send(
    new QueryCommand({
      ...registeredModels(ctx),
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: { kind: MODEL_KIND, pk: cursor, sk: REGISTRY_KEYS.policy } } : {}),
    }),
  );
  const models = (page.Items ?? []).map((item) => ({
    modelId: item.pk as string,
    policy: item.policy,
    registeredAt: item.registeredAt as string,
    updatedAt: item.updatedAt as string,
    ...(typeof item.arrivalPrefix === 'string' ? { arrivalPrefix: item.arrivalPrefix } : {}),
  }));
  return { models, next: page.LastEvaluatedKey ? (page.LastEvaluatedKey.pk as string) : null };
}
