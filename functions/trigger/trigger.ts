import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ModelNotFoundError } from '#contracts/errors.ts';
import { COMPUTED_ORIGIN } from '#domain/observations.ts';
import type { ModelCheck } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getChampions } from '#stores/champion.ts';
import { putChecks } from '#stores/checks.ts';
import { getPolicy } from '#stores/policies.ts';
import { automatedAsOf, checkModelSafely } from '../fleet/check.ts';
import { mapLimit } from '../fleet/pool.ts';

/**
 * The newest observation timestamp per model among new KPI and drift records of a stream batch; drift rows the
 * loop computed itself (`origin`) are not news (on AWS the stream filter drops them already).
 */
export function touchedModels(records: readonly DynamoDBRecord[]): Map<string, string> {
  const latest = new Map<string, string>();
  for (const record of records) {
    if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') continue;
    const image = record.dynamodb?.NewImage;
    if (!image) continue;
    // Numbers stay text: only the type, model and time are read, and huge values must not fail the batch.
    const item = unmarshall(image as Record<string, AttributeValue>, { wrapNumbers: true });
    if ((item.type !== 'kpi' && item.type !== 'drift') || item.origin === COMPUTED_ORIGIN) continue;
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
  ctx: KaizenContext,
  records: readonly DynamoDBRecord[],
  batchId: string,
): Promise<ModelCheck[]> {
  const touched = touchedModels(records);
  const modelIds = [...touched.keys()].sort();
  const champions = await getChampions(ctx, modelIds);
  const checks = await mapLimit(modelIds, 8, async (modelId): Promise<ModelCheck | undefined> => {
    // Records of a model nobody registered must not fail (and endlessly retry) the whole batch.
    const policy = await getPolicy(ctx, modelId).catch((error: Error) => {
      if (error instanceof ModelNotFoundError) return undefined;
      throw error;
    });
    if (!policy) return undefined;
    const asOf = automatedAsOf(policy, touched.get(modelId) as string, 'ceil');
    return checkModelSafely(ctx, { modelId, policy }, champions.get(modelId) ?? null, asOf, 'event');
  });
  const done = checks.filter((check): check is ModelCheck => check !== undefined);
  await putChecks(ctx, 'event', new Date().toISOString(), batchId, done);
  return done;
}
