import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '#contracts/errors.ts';
import type { Champion } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { batchGetRegistry, isConditionFailure, queryItems, writtenUnlessCondition } from './dynamo.ts';
import { REGISTRY_KEYS } from './keys.ts';

/** One move of an alias: which version served from when, and why. */
export interface AliasChange {
  alias: string;
  /** null when the alias was removed. */
  version: number | null;
  previousVersion: number | null;
  /** When the move happened (wall clock). */
  at: string;
  /** The logical time the version started serving (the run's asOf); absent when the alias was removed. */
  since?: string;
  reason: string;
  executionName: string;
}

const CHAMPION = REGISTRY_KEYS.champion;

/** The champion alias as stored: the champion, and which execution moved it when. */
export interface ChampionAlias extends Champion {
  /** Absent on aliases moved before executions were recorded on them. */
  executionName?: string;
  updatedAt?: string;
  /** The version the alias pointed at before this move (null: none). */
  previousVersion?: number | null;
}

/** The champion alias with who moved it (a strongly consistent read: failure paths decide on it). */
export async function getChampionAlias(ctx: KaizenContext, modelId: string): Promise<ChampionAlias | null> {
  const { Item } = await ctx.ddb.send(
    new GetCommand({
      TableName: ctx.config.registryTable,
      Key: { pk: modelId, sk: CHAMPION },
      ConsistentRead: true,
    }),
  );
  if (!Item) return null;
  return {
    ...championOf(Item),
    executionName: Item.executionName,
    updatedAt: Item.updatedAt,
    previousVersion: Item.previousVersion ?? null,
  };
}

/** The version behind the `champion` alias, or null before the first deploy. */
export async function getChampion(ctx: KaizenContext, modelId: string): Promise<Champion | null> {
  const { Item } = await ctx.ddb.send(
    new GetCommand({ TableName: ctx.config.registryTable, Key: { pk: modelId, sk: CHAMPION } }),
  );
  return Item ? championOf(Item) : null;
}

/** Champions of many models in one batched read per 100 models (unprocessed keys retried). */
export async function getChampions(
  ctx: KaizenContext,
  modelIds: readonly string[],
): Promise<Map<string, Champion>> {
  const items = await batchGetRegistry(ctx, modelIds, CHAMPION, { what: 'champion' });
  return new Map(items.map((item) => [item.pk as string, championOf(item)]));
}

function championOf(item: Record<string, unknown>): Champion {
  const champion: Champion = {
    version: item.version as number,
    artifactKey: item.artifactKey as string,
    since: item.since as string,
  };
  if (item.baseline) champion.baseline = item.baseline as Record<string, number>;
  return champion;
}

/**
 * Moves the champion alias to `version` only if it still points at `expected` (null: no champion yet),
 * and logs the move. Idempotent per execution: a retry of a move this execution already made (a step retried
 * after the write, e.g. on a lost Lambda response) returns the recorded change. Any other conflicting move
 * throws {@link ConflictError} and changes nothing.
 */
export async function moveChampion(
  ctx: KaizenContext,
  input: {
    modelId: string;
    version: number;
    artifactKey: string;
    expected: number | null;
    reason: string;
    executionName: string;
    /** Logical time the version starts serving (the run's asOf); cooldowns count from it. */
    since: string;
    now?: string;
  },
): Promise<AliasChange> {
  const at = input.now ?? new Date().toISOString();
  try {
    await ctx.ddb.send(
      new PutCommand({
        TableName: ctx.config.registryTable,
        Item: {
          pk: input.modelId,
          sk: CHAMPION,
          version: input.version,
          artifactKey: input.artifactKey,
          previousVersion: input.expected,
          since: input.since,
          updatedAt: at,
          executionName: input.executionName,
        },
        ...(input.expected === null
          ? { ConditionExpression: 'attribute_not_exists(sk)' }
          : {
              ConditionExpression: 'version = :expected',
              ExpressionAttributeValues: { ':expected': input.expected },
            }),
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const current = await getChampionAlias(ctx, input.modelId);
    if (current?.version === input.version && current.executionName === input.executionName) {
      // Same key as the first attempt's log entry (same `at`), so the retry writes nothing new.
      return logAliasChange(ctx, input.modelId, {
        alias: 'champion',
        version: input.version,
        previousVersion: input.expected,
        at: current.updatedAt ?? at,
        since: input.since,
        reason: input.reason,
        executionName: input.executionName,
      });
    }
    throw new ConflictError(
      `champion of ${input.modelId} is ${current ? `v${current.version}` : 'unset'}, expected ` +
        `${input.expected === null ? 'unset' : `v${input.expected}`}; not moving it to v${input.version}`,
    );
  }
  return logAliasChange(ctx, input.modelId, {
    alias: 'champion',
    version: input.version,
    previousVersion: input.expected,
    at,
    since: input.since,
    reason: input.reason,
    executionName: input.executionName,
  });
}

/**
 * Removes the champion alias if it still points at `expected` (rollback of a first version). Idempotent per
 * execution: when the alias is already gone, a removal this execution logged is returned (or logged now, if
 * the earlier attempt stopped between the two writes).
 */
export async function clearChampion(
  ctx: KaizenContext,
  input: { modelId: string; expected: number; reason: string; executionName: string; now?: string },
): Promise<AliasChange> {
  try {
    await ctx.ddb.send(
      new DeleteCommand({
        TableName: ctx.config.registryTable,
        Key: { pk: input.modelId, sk: CHAMPION },
        ConditionExpression: 'version = :expected',
        ExpressionAttributeValues: { ':expected': input.expected },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    if (await getChampionAlias(ctx, input.modelId))
      throw new ConflictError(
        `champion of ${input.modelId} is no longer v${input.expected}; not removing it`,
      );
    const done = (await aliasHistory(ctx, input.modelId)).find(
      (change) => change.executionName === input.executionName && change.version === null,
    );
    if (done) return done;
  }
  return logAliasChange(ctx, input.modelId, {
    alias: 'champion',
    version: null,
    previousVersion: input.expected,
    at: input.now ?? new Date().toISOString(),
    reason: input.reason,
    executionName: input.executionName,
  });
}

async function logAliasChange(
  ctx: KaizenContext,
  modelId: string,
  change: AliasChange,
): Promise<AliasChange> {
  await ctx.ddb.send(
    new PutCommand({
      TableName: ctx.config.registryTable,
      Item: {
        pk: modelId,
        sk: `${REGISTRY_KEYS.aliasLogPrefix}${change.at}#${change.executionName}`,
        ...change,
      },
    }),
  );
  return change;
}

/** The history of alias moves, newest first. */
export async function aliasHistory(ctx: KaizenContext, modelId: string): Promise<AliasChange[]> {
  const items = await queryItems(ctx, {
    TableName: ctx.config.registryTable,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': modelId, ':prefix': REGISTRY_KEYS.aliasLogPrefix },
    ScanIndexForward: false,
  });
  return items as unknown as AliasChange[];
}

/** Records the KPI values the champion is held to, if it is still `version`. */
export async function setBaseline(
  ctx: KaizenContext,
  modelId: string,
  version: number,
  baseline: Record<string, number>,
): Promise<boolean> {
  return writtenUnlessCondition(
    ctx.ddb.send(
      new UpdateCommand({
        TableName: ctx.config.registryTable,
        Key: { pk: modelId, sk: CHAMPION },
        UpdateExpression: 'SET baseline = :baseline',
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':baseline': baseline, ':version': version },
      }),
    ),
  );
}
