import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type ArrivalSubscription,
  arrivalsOf,
  type DatasetArrival,
  datePositions,
} from '#domain/arrivals.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { queryItems } from './dynamo.ts';
import { REGISTRY_KEYS } from './keys.ts';
import { putObservations } from './observations.ts';

/** Subscribes a model to the arrival of its window datasets: an index entry under the template's literal prefix. */
export async function putSubscription(
  ctx: KaizenContext,
  prefix: string,
  subscription: ArrivalSubscription,
): Promise<void> {
  await ctx.ddb.send(
    new PutCommand({
      TableName: ctx.config.registryTable,
      Item: { pk: REGISTRY_KEYS.arrivals(prefix), sk: subscription.modelId, ...subscription },
    }),
  );
}

/** Removes a model's subscription under `prefix` (its template moved elsewhere). */
export async function deleteSubscription(ctx: KaizenContext, prefix: string, modelId: string): Promise<void> {
  await ctx.ddb.send(
    new DeleteCommand({
      TableName: ctx.config.registryTable,
      Key: { pk: REGISTRY_KEYS.arrivals(prefix), sk: modelId },
    }),
  );
}

/**
 * Records an object S3 announced: one arrival row in the partition of each model whose window dataset it is
 * (found by one query per date position of its key). Idempotent: a repeated announcement rewrites the same rows.
 */
export async function recordArrival(
  ctx: KaizenContext,
  object: { key: string; bytes: number; arrivedAt: string },
): Promise<DatasetArrival[]> {
  const prefixes = [...new Set(datePositions(object.key).map((position) => position.prefix))];
  const found = new Map(
    await Promise.all(
      prefixes.map(async (prefix) => {
        const items = await queryItems(ctx, {
          TableName: ctx.config.registryTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': REGISTRY_KEYS.arrivals(prefix) },
        });
        return [prefix, items as unknown as ArrivalSubscription[]] as const;
      }),
    ),
  );
  const rows = arrivalsOf(object, (prefix) => found.get(prefix) ?? []);
  const retention = new Map(rows.map((row) => [row.modelId, row.retentionSeconds]));
  const arrivals = rows.map(({ retentionSeconds: _, ...row }) => row);
  await putObservations(ctx, arrivals, (modelId) => retention.get(modelId));
  return arrivals;
}
