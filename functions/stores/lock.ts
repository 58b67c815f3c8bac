import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { KaizenContext } from '#runtime/context.ts';
import { batchGetRegistry, isConditionFailure, writtenUnlessCondition } from './dynamo.ts';
import { REGISTRY_KEYS } from './keys.ts';

/**
 * Takes the model's lock for `owner` until `expiresAt` unless another live owner holds it; re-entrant for
 * the same owner (a retried step). Returns who holds it.
 */
export async function acquireLock(
  ctx: KaizenContext,
  modelId: string,
  owner: string,
  expiresAt: Date,
  now = new Date(),
): Promise<{ acquired: boolean; owner: string; expiresAt: string }> {
  const TableName = ctx.config.registryTable;
  try {
    await ctx.ddb.send(
      new PutCommand({
        TableName,
        Item: {
          pk: modelId,
          sk: REGISTRY_KEYS.lock,
          owner,
          expiresAt: expiresAt.toISOString(),
          acquiredAt: now.toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(sk) OR expiresAt < :now OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':now': now.toISOString(), ':owner': owner },
      }),
    );
    return { acquired: true, owner, expiresAt: expiresAt.toISOString() };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const { Item } = await ctx.ddb.send(
      new GetCommand({ TableName, Key: { pk: modelId, sk: REGISTRY_KEYS.lock }, ConsistentRead: true }),
    );
    return {
      acquired: false,
      owner: (Item?.owner as string) ?? 'unknown',
      expiresAt: (Item?.expiresAt as string) ?? '',
    };
  }
}

/** A model's lock as stored (expired locks included: their owner is named). */
export interface StoredLock {
  owner: string;
  expiresAt: string;
  acquiredAt?: string;
}

function lockOf(item: Record<string, unknown>): StoredLock {
  return {
    owner: item.owner as string,
    expiresAt: item.expiresAt as string,
    ...(item.acquiredAt ? { acquiredAt: item.acquiredAt as string } : {}),
  };
}

/** The model's lock as stored, or null when nobody holds it (expired locks included: their owner is named). */
export async function getLock(ctx: KaizenContext, modelId: string): Promise<StoredLock | null> {
  const { Item } = await ctx.ddb.send(
    new GetCommand({
      TableName: ctx.config.registryTable,
      Key: { pk: modelId, sk: REGISTRY_KEYS.lock },
      ConsistentRead: true,
    }),
  );
  return Item ? lockOf(Item) : null;
}

/** The stored locks of many models (absent: nobody holds it), strongly consistent, one batched read per 100. */
export async function getLocks(
  ctx: KaizenContext,
  modelIds: readonly string[],
): Promise<Map<string, StoredLock>> {
  const items = await batchGetRegistry(ctx, modelIds, REGISTRY_KEYS.lock, { what: 'lock', consistent: true });
  return new Map(items.map((item) => [item.pk as string, lockOf(item)]));
}

/** Releases the model's lock if `owner` still holds it. */
export async function releaseLock(ctx: KaizenContext, modelId: string, owner: string): Promise<boolean> {
  return writtenUnlessCondition(
    ctx.ddb.send(
      new DeleteCommand({
        TableName: ctx.config.registryTable,
        Key: { pk: modelId, sk: REGISTRY_KEYS.lock },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
      }),
    ),
  );
}
