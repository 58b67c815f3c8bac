import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { KaizenContext } from '#runtime/context.ts';
import { queryItems } from './dynamo.ts';

/** Partition of the runs table that holds pending callback tasks (model ids are lowercase: no clash). */
const PENDING_PARTITION = 'CALLBACK';

/** What a pending task waits for: an external trainer's model, or a person's approval of a promotion. */
export type TaskKind = 'training' | 'approval';

/** A request that waits for an answer by task token (at most one per execution at a time). */
export interface PendingTask {
  /** Absent on tasks recorded before approvals existed: `training`. */
  kind?: TaskKind;
  modelId: string;
  executionName: string;
  /** The Step Functions task token the trainer answers with SendTaskSuccess / SendTaskFailure. */
  token: string;
  requestedAt: string;
  /** When the task times out unless answered. */
  deadline: string;
  /** The request as published on the event bus (without the token). */
  request: Record<string, unknown>;
}

/** Records a pending task; a retried request (a new token) replaces the execution's previous one. */
export async function putPendingTask(ctx: KaizenContext, task: PendingTask): Promise<void> {
  await ctx.ddb.send(
    new PutCommand({
      TableName: ctx.config.runsTable,
      Item: { pk: PENDING_PARTITION, sk: task.executionName, ...task },
    }),
  );
}

export async function getPendingTask(
  ctx: KaizenContext,
  executionName: string,
): Promise<PendingTask | undefined> {
  const { Item } = await ctx.ddb.send(
    new GetCommand({ TableName: ctx.config.runsTable, Key: { pk: PENDING_PARTITION, sk: executionName } }),
  );
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, ...task } = Item;
  return task as PendingTask;
}

/** Every pending task, oldest execution name first. */
export async function listPendingTasks(ctx: KaizenContext, limit = 1000): Promise<PendingTask[]> {
  const items = await queryItems(
    ctx,
    {
      TableName: ctx.config.runsTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PENDING_PARTITION },
    },
    limit,
  );
  return items.map(({ pk: _pk, sk: _sk, ...task }) => task as unknown as PendingTask);
}

/** Removes an execution's pending task (answered, timed out or the run ended); idempotent. */
export async function closePendingTask(ctx: KaizenContext, executionName: string): Promise<void> {
  await ctx.ddb.send(
    new DeleteCommand({ TableName: ctx.config.runsTable, Key: { pk: PENDING_PARTITION, sk: executionName } }),
  );
}
