import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RunRecord } from '#domain/record.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { queryItems } from './dynamo.ts';

/** Stores a run record; a retried Record step overwrites the same item (idempotent). */
export async function putRun(ctx: KaizenContext, record: RunRecord): Promise<void> {
  await ctx.ddb.send(
    new PutCommand({
      TableName: ctx.config.runsTable,
      Item: { pk: record.modelId, sk: `RUN#${record.startedAt}#${record.executionName}`, ...record },
    }),
  );
}

/** A model's run records, newest first. */
export async function listRuns(ctx: KaizenContext, modelId: string, limit = 50): Promise<RunRecord[]> {
  const runs = await queryItems(
    ctx,
    {
      TableName: ctx.config.runsTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': modelId, ':prefix': 'RUN#' },
      ScanIndexForward: false,
    },
    limit,
  );
  return runs as unknown as RunRecord[];
}
