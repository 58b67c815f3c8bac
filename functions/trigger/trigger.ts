import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { putChecks } from '#shared/checks.ts';
import { ModelNotFoundError } from '#shared/errors.ts';
import { getChampions, getPolicy } from '#shared/registry.ts';
import { automatedAsOf, checkModel, type ModelCheck } from '../fleet/check.ts';
import { mapLimit } from '../fleet/pool.ts';

/** The newest observation timestamp per model among new KPI and drift records of a stream batch. */
export function touchedModels(records: readonly DynamoDBRecord[]): Map<string, string> {
  const latest = new Map<string, string>();
  for (const record of records) {
    if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') continue;
    const image = record.dynamodb?.NewImage;
    if (!image) continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (item.type !== 'kpi' && item.type !== 'drift') continue;
    const modelId = item.modelId as string;
    const timestamp = item.timestamp as string;
    if ((latest.get(modelId) ?? '') < timestamp) latest.set(modelId, timestamp);
  }
  return latest;
}

/**
 * Reacts to new KPI and drift records: checks each affected model on the window holding its newest record
 * (possibly still open) and starts the loop where the policy says `retrain`, under the same deterministic
 * execution name the sweep uses, so the schedule and the event never start the same window twice.
 */
export async function triggerFromRecords(
  records: readonly DynamoDBRecord[],
  batchId: string,
): Promise<ModelCheck[]> {
  const touched = touchedModels(records);
  const modelIds = [...touched.keys()].sort();
  const champions = await getChampions(modelIds);
  const checks = await mapLimit(modelIds, 8, async (modelId): Promise<ModelCheck | undefined> => {
    // Records of a model nobody registered must not fail (and endlessly retry) the whole batch.
    const policy = await getPolicy(modelId).catch((error: Error) => {
      if (error instanceof ModelNotFoundError) return undefined;
      throw error;
    });
    if (!policy) return undefined;
    const asOf = automatedAsOf(policy, touched.get(modelId) as string, 'ceil');
    return checkModel({ modelId, policy }, champions.get(modelId) ?? null, asOf, 'event');
  });
  const done = checks.filter((check): check is ModelCheck => check !== undefined);
  await putChecks('event', new Date().toISOString(), batchId, done);
  return done;
}
