import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { RunRecord } from '#domain/record.ts';
import { ddb } from './aws.ts';
import { config } from './config.ts';

/** Stores a run record; a retried Record step overwrites the same item (idempotent). */
export async function putRun(record: RunRecord): Promise<void> {
  await ddb().send(
    new PutCommand({
      TableName: config().runsTable,
      Item: { pk: record.modelId, sk: `RUN#${record.startedAt}#${record.executionName}`, ...record },
    }),
  );
}

/** A model's run records, newest first. */
export async function listRuns(modelId: string, limit = 50): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(
      new QueryCommand({
        TableName: config().runsTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': modelId, ':prefix': 'RUN#' },
        ScanIndexForward: false,
        Limit: Math.min(limit - runs.length, 100),
        ExclusiveStartKey,
      }),
    );
    for (const { pk: _pk, sk: _sk, ...item } of page.Items ?? []) runs.push(item as RunRecord);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && runs.length < limit);
  return runs;
}
