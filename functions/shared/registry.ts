import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ModelPolicy, parsePolicy } from '#domain/policy.ts';
import type { Candidate, Champion } from '#domain/run.ts';
import { ddb, queryItems } from './aws.ts';
import { config } from './config.ts';
import { ConflictError, ModelNotFoundError, TransientError } from './errors.ts';
import { TABLE_KEYS } from './tables.ts';

const POLICY = 'POLICY';
const LOCK = 'LOCK';
/** Registry items that list a model carry this in `kind`, the partition key of the `byKind` index. */
export const MODEL_KIND = 'model';
export const BY_KIND_INDEX = TABLE_KEYS.registry.indexes[0].name;
const CHAMPION = 'ALIAS#champion';
const versionKey = (version: number) => `VERSION#${String(version).padStart(10, '0')}`;

export type VersionStatus = 'candidate' | 'champion' | 'retired' | 'rejected' | 'rolled-back';

/** A registered model version with its lineage. */
export interface VersionRecord extends Candidate {
  modelId: string;
  /** The logical time of the run that trained it (counts toward the retrain budget). */
  trainedAsOf: string;
  status: VersionStatus;
  createdAt: string;
  executionName: string;
}

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

export interface ModelEntry {
  modelId: string;
  policy: ModelPolicy;
  registeredAt: string;
  updatedAt: string;
}

function table(): string {
  return config().registryTable;
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as Error)?.name === 'ConditionalCheckFailedException'
  );
}

/** Registers a model or replaces its policy (the policy must already be validated). */
export async function putPolicy(policy: ModelPolicy, now = new Date().toISOString()): Promise<void> {
  await ddb().send(
    new UpdateCommand({
      TableName: table(),
      Key: { pk: policy.modelId, sk: POLICY },
      UpdateExpression:
        'SET policy = :policy, kind = :kind, updatedAt = :now, registeredAt = if_not_exists(registeredAt, :now)',
      ExpressionAttributeValues: { ':policy': policy, ':now': now, ':kind': MODEL_KIND },
    }),
  );
}

/** The model's policy; throws {@link ModelNotFoundError} for an unregistered id. */
export async function getPolicy(modelId: string): Promise<ModelPolicy> {
  const { Item } = await ddb().send(new GetCommand({ TableName: table(), Key: { pk: modelId, sk: POLICY } }));
  if (!Item)
    throw new ModelNotFoundError(`model "${modelId}" is not registered (kaizen models put <policy.json>)`);
  return parsePolicy(Item.policy, `stored policy of ${modelId}`);
}

/** Every registered model, ordered by id (pages of the `byKind` index). */
export async function listModels(): Promise<ModelEntry[]> {
  const models: ModelEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await pageModels(500, cursor);
    models.push(...page.models);
    cursor = page.next ?? undefined;
  } while (cursor);
  return models;
}

/** One page of registered models in id order, from the `byKind` index. */
export async function pageModels(
  limit: number,
  cursor?: string,
): Promise<{ models: ModelEntry[]; next: string | null }> {
  const page = await ddb().send(
    new QueryCommand({
      TableName: table(),
      IndexName: BY_KIND_INDEX,
      KeyConditionExpression: 'kind = :kind',
      ExpressionAttributeValues: { ':kind': MODEL_KIND },
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: { kind: MODEL_KIND, pk: cursor, sk: POLICY } } : {}),
    }),
  );
  const models = (page.Items ?? []).map((item) => ({
    modelId: item.pk as string,
    policy: parsePolicy(item.policy, `stored policy of ${item.pk}`),
    registeredAt: item.registeredAt as string,
    updatedAt: item.updatedAt as string,
  }));
  return { models, next: page.LastEvaluatedKey ? (page.LastEvaluatedKey.pk as string) : null };
}

/** The version behind the `champion` alias, or null before the first deploy. */
export async function getChampion(modelId: string): Promise<Champion | null> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: table(), Key: { pk: modelId, sk: CHAMPION } }),
  );
  return Item ? championOf(Item) : null;
}

/** Champions of many models in one batched read per 100 models (unprocessed keys retried). */
export async function getChampions(modelIds: readonly string[]): Promise<Map<string, Champion>> {
  const champions = new Map<string, Champion>();
  for (let offset = 0; offset < modelIds.length; offset += 100) {
    let keys: Record<string, unknown>[] = modelIds
      .slice(offset, offset + 100)
      .map((pk) => ({ pk, sk: CHAMPION }));
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt > 8) throw new TransientError(`${keys.length} champion reads left unprocessed`);
      if (attempt > 0) await new Promise((done) => setTimeout(done, 2 ** attempt * 10));
      const output = await ddb().send(new BatchGetCommand({ RequestItems: { [table()]: { Keys: keys } } }));
      for (const item of output.Responses?.[table()] ?? [])
        champions.set(item.pk as string, championOf(item));
      keys = (output.UnprocessedKeys?.[table()]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
  }
  return champions;
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

/** Registers a new version numbered one above the latest (monotonic per model; retried on a race). */
export async function registerVersion(
  modelId: string,
  build: (version: number) => Omit<VersionRecord, 'modelId' | 'version' | 'createdAt' | 'status'>,
  now = new Date().toISOString(),
): Promise<VersionRecord> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const { Items } = await ddb().send(
      new QueryCommand({
        TableName: table(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': modelId, ':prefix': 'VERSION#' },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const version = ((Items?.[0]?.version as number | undefined) ?? 0) + 1;
    const record: VersionRecord = {
      ...build(version),
      modelId,
      version,
      status: 'candidate',
      createdAt: now,
    };
    try {
      await ddb().send(
        new PutCommand({
          TableName: table(),
          Item: { pk: modelId, sk: versionKey(version), ...record },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return record;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new TransientError(`could not allocate a version number for ${modelId}: concurrent registrations`);
}

export async function getVersion(modelId: string, version: number): Promise<VersionRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: table(), Key: { pk: modelId, sk: versionKey(version) } }),
  );
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, ...record } = Item;
  return record as VersionRecord;
}

/** All versions of a model, newest first. */
export async function listVersions(modelId: string): Promise<VersionRecord[]> {
  return (await queryPrefix(modelId, 'VERSION#', false)) as unknown as VersionRecord[];
}

/** Logical training times of the versions trained in `(from, to]`, newest first (reads the newest `limit`). */
export async function retrainsBetween(
  modelId: string,
  from: string,
  to: string,
  limit: number,
): Promise<string[]> {
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': modelId, ':prefix': 'VERSION#' },
      ProjectionExpression: 'trainedAsOf',
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (Items ?? [])
    .map((item) => item.trainedAsOf as string | undefined)
    .filter((at): at is string => at !== undefined && at > from && at <= to);
}

/**
 * Takes the model's lock for `owner` until `expiresAt` unless another live owner holds it; re-entrant for
 * the same owner (a retried step). Returns who holds it.
 */
export async function acquireLock(
  modelId: string,
  owner: string,
  expiresAt: Date,
  now = new Date(),
): Promise<{ acquired: boolean; owner: string; expiresAt: string }> {
  try {
    await ddb().send(
      new PutCommand({
        TableName: table(),
        Item: {
          pk: modelId,
          sk: LOCK,
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
    const { Item } = await ddb().send(
      new GetCommand({ TableName: table(), Key: { pk: modelId, sk: LOCK }, ConsistentRead: true }),
    );
    return {
      acquired: false,
      owner: (Item?.owner as string) ?? 'unknown',
      expiresAt: (Item?.expiresAt as string) ?? '',
    };
  }
}

/** Releases the model's lock if `owner` still holds it. */
export async function releaseLock(modelId: string, owner: string): Promise<boolean> {
  try {
    await ddb().send(
      new DeleteCommand({
        TableName: table(),
        Key: { pk: modelId, sk: LOCK },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** The history of alias moves, newest first. */
export async function aliasHistory(modelId: string): Promise<AliasChange[]> {
  return (await queryPrefix(modelId, 'ALIASLOG#', false)) as unknown as AliasChange[];
}

async function queryPrefix(modelId: string, prefix: string, forward: boolean) {
  return queryItems({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': modelId, ':prefix': prefix },
    ScanIndexForward: forward,
  });
}

export async function setVersionStatus(
  modelId: string,
  version: number,
  status: VersionStatus,
): Promise<void> {
  await ddb().send(
    new UpdateCommand({
      TableName: table(),
      Key: { pk: modelId, sk: versionKey(version) },
      UpdateExpression: 'SET #status = :status',
      ConditionExpression: 'attribute_exists(sk)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status },
    }),
  );
}

/**
 * Moves the champion alias to `version` only if it still points at `expected` (null: no champion yet),
 * and logs the move. A conflicting move throws {@link ConflictError} and changes nothing.
 */
export async function moveChampion(input: {
  modelId: string;
  version: number;
  artifactKey: string;
  expected: number | null;
  reason: string;
  executionName: string;
  /** Logical time the version starts serving (the run's asOf); cooldowns count from it. */
  since: string;
  now?: string;
}): Promise<AliasChange> {
  const at = input.now ?? new Date().toISOString();
  try {
    await ddb().send(
      new PutCommand({
        TableName: table(),
        Item: {
          pk: input.modelId,
          sk: CHAMPION,
          version: input.version,
          artifactKey: input.artifactKey,
          previousVersion: input.expected,
          since: input.since,
          updatedAt: at,
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
    const current = await getChampion(input.modelId);
    throw new ConflictError(
      `champion of ${input.modelId} is ${current ? `v${current.version}` : 'unset'}, expected ` +
        `${input.expected === null ? 'unset' : `v${input.expected}`}; not moving it to v${input.version}`,
    );
  }
  return logAliasChange(input.modelId, {
    alias: 'champion',
    version: input.version,
    previousVersion: input.expected,
    at,
    since: input.since,
    reason: input.reason,
    executionName: input.executionName,
  });
}

/** Removes the champion alias if it still points at `expected` (rollback of a first version). */
export async function clearChampion(input: {
  modelId: string;
  expected: number;
  reason: string;
  executionName: string;
  now?: string;
}): Promise<AliasChange> {
  try {
    await ddb().send(
      new DeleteCommand({
        TableName: table(),
        Key: { pk: input.modelId, sk: CHAMPION },
        ConditionExpression: 'version = :expected',
        ExpressionAttributeValues: { ':expected': input.expected },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new ConflictError(`champion of ${input.modelId} is no longer v${input.expected}; not removing it`);
  }
  return logAliasChange(input.modelId, {
    alias: 'champion',
    version: null,
    previousVersion: input.expected,
    at: input.now ?? new Date().toISOString(),
    reason: input.reason,
    executionName: input.executionName,
  });
}

async function logAliasChange(modelId: string, change: AliasChange): Promise<AliasChange> {
  await ddb().send(
    new PutCommand({
      TableName: table(),
      Item: { pk: modelId, sk: `ALIASLOG#${change.at}#${change.executionName}`, ...change },
    }),
  );
  return change;
}

/** Records the KPI values the champion is held to, if it is still `version`. */
export async function setBaseline(
  modelId: string,
  version: number,
  baseline: Record<string, number>,
): Promise<boolean> {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: table(),
        Key: { pk: modelId, sk: CHAMPION },
        UpdateExpression: 'SET baseline = :baseline',
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':baseline': baseline, ':version': version },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
