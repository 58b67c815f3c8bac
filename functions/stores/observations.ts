import { BatchWriteCommand, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '#contracts/errors.ts';
import { METRICS_TTL_ATTRIBUTE } from '#contracts/tables.ts';
import { type Observation, observationKey } from '#domain/observations.ts';
import type { Window } from '#domain/run.ts';
import type { QualityRecord } from '#domain/windows.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { backoff, queryItems } from './dynamo.ts';

const BATCH = 25;
const MAX_ATTEMPTS = 8;

/**
 * Writes observations (and data-quality records) in batches of 25, retrying unprocessed items with backoff.
 * `retention` gives a model's retention in seconds (its policy's `retention`): its rows then carry the TTL
 * attribute, so DynamoDB deletes them that long after their timestamp.
 */
export async function putObservations(
  ctx: KaizenContext,
  observations: readonly (Observation | QualityRecord)[],
  retention: (modelId: string) => number | undefined = () => undefined,
): Promise<number> {
  const table = ctx.config.metricsTable;
  for (let offset = 0; offset < observations.length; offset += BATCH) {
    // Last write wins for duplicates inside one batch (DynamoDB rejects duplicate keys in a batch).
    const unique = new Map<string, Record<string, unknown>>();
    for (const observation of observations.slice(offset, offset + BATCH)) {
      const sk = observationKey(observation);
      const seconds = retention(observation.modelId);
      const expiry =
        seconds === undefined
          ? {}
          : { [METRICS_TTL_ATTRIBUTE]: Math.floor(Date.parse(observation.timestamp) / 1000) + seconds };
      unique.set(`${observation.modelId}|${sk}`, { pk: observation.modelId, sk, ...observation, ...expiry });
    }
    let requests = [...unique.values()].map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; requests.length > 0; attempt += 1) {
      if (attempt > MAX_ATTEMPTS)
        throw new TransientError(`${requests.length} observations left unprocessed`);
      const output: BatchWriteCommandOutput = await ctx.ddb.send(
        new BatchWriteCommand({ RequestItems: { [table]: requests } }),
      );
      requests = (output.UnprocessedItems?.[table] ?? []) as typeof requests;
      if (requests.length > 0) await backoff(attempt);
    }
  }
  return observations.length;
}

/** Reads every observation (and data-quality record) of a model in `[start, end)`. */
export async function queryObservations(
  ctx: KaizenContext,
  modelId: string,
  window: Window,
): Promise<(Observation | QualityRecord)[]> {
  const items = await queryItems(ctx, {
    TableName: ctx.config.metricsTable,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :start AND :end',
    ExpressionAttributeValues: { ':pk': modelId, ':start': window.start, ':end': window.end },
  });
  return items as unknown as (Observation | QualityRecord)[];
}
