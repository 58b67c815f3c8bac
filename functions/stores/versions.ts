import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '#contracts/errors.ts';
import type { Candidate } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { isConditionFailure, queryItems } from './dynamo.ts';
import { REGISTRY_KEYS } from './keys.ts';

/** `failed`: its run failed before the candidate could be judged or after it was taken back. */
export type VersionStatus = 'candidate' | 'champion' | 'retired' | 'rejected' | 'rolled-back' | 'failed';

/** A registered model version with its lineage. */
export interface VersionRecord extends Candidate {
  modelId: string;
  /** The logical time of the run that trained it (counts toward the retrain budget). */
  trainedAsOf: string;
  status: VersionStatus;
  createdAt: string;
  executionName: string;
}

/**
 * Registers a new version numbered one above the latest (monotonic per model; retried on a race). Idempotent
 * per execution: when the latest version was registered by the same execution (a retried step), it is returned.
 */
export async function registerVersion(
  ctx: KaizenContext,
  modelId: string,
  build: (version: number) => Omit<VersionRecord, 'modelId' | 'version' | 'createdAt' | 'status'>,
  now = new Date().toISOString(),
): Promise<VersionRecord> {
  const TableName = ctx.config.registryTable;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const { Items } = await ctx.ddb.send(
      new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': modelId, ':prefix': REGISTRY_KEYS.versionPrefix },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const latest = Items?.[0] as VersionRecord | undefined;
    const built = build((latest?.version ?? 0) + 1);
    if (latest && latest.executionName === built.executionName) {
      const { pk: _pk, sk: _sk, ...existing } = latest as VersionRecord & { pk?: string; sk?: string };
      return existing;
    }
    const version = (latest?.version ?? 0) + 1;
    const record: VersionRecord = {
      ...built,
      modelId,
      version,
      status: 'candidate',
      createdAt: now,
    };
    try {
      await ctx.ddb.send(
        new PutCommand({
          TableName,
          Item: { pk: modelId, sk: REGISTRY_KEYS.version(version), ...record },
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

export async function getVersion(
  ctx: KaizenContext,
  modelId: string,
  version: number,
): Promise<VersionRecord | undefined> {
  const { Item } = await ctx.ddb.send(
    new GetCommand({
      TableName: ctx.config.registryTable,
      Key: { pk: modelId, sk: REGISTRY_KEYS.version(version) },
    }),
  );
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, ...record } = Item;
  return record as VersionRecord;
}

/** The versions of a model, newest first (the newest `limit` with a limit). */
export async function listVersions(
  ctx: KaizenContext,
  modelId: string,
  limit?: number,
): Promise<VersionRecord[]> {
  const items = await queryItems(
    ctx,
    {
      TableName: ctx.config.registryTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': modelId, ':prefix': REGISTRY_KEYS.versionPrefix },
      ScanIndexForward: false,
    },
    limit,
  );
  return items as unknown as VersionRecord[];
}

/** Logical training times of the versions trained in `(from, to]`, newest first (reads the newest `limit`). */
export async function retrainsBetween(
  ctx: KaizenContext,
  modelId: string,
  from: string,
  to: string,
  limit: number,
): Promise<string[]> {
  const { Items } = await ctx.ddb.send(
    new QueryCommand({
      TableName: ctx.config.registryTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': modelId, ':prefix': REGISTRY_KEYS.versionPrefix },
      ProjectionExpression: 'trainedAsOf',
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (Items ?? [])
    .map((item) => item.trainedAsOf as string | undefined)
    .filter((at): at is string => at !== undefined && at > from && at <= to);
}

export async function setVersionStatus(
  ctx: KaizenContext,
  modelId: string,
  version: number,
  status: VersionStatus,
): Promise<void> {
  await ctx.ddb.send(
    new UpdateCommand({
      TableName: ctx.config.registryTable,
      Key: { pk: modelId, sk: REGISTRY_KEYS.version(version) },
      UpdateExpression: 'SET #status = :status',
      ConditionExpression: 'attribute_exists(sk)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status },
    }),
  );
}
