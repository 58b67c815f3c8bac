import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RunRecord } from '#domain/record.ts';
import { ddb, queryItems } from './aws.ts';
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
  const runs = await queryItems(
    {
      TableName: config().runsTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': modelId, ':prefix': 'RUN#' },
      ScanIndexForward: false,
    },
    limit,
  );
  return runs as unknown as RunRecord[];
}
