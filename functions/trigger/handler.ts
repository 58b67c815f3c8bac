import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { metrics, stepHandler } from '#runtime/handler.ts';
import { triggerFromRecords } from './trigger.ts';

export const handler = stepHandler('trigger', async (ctx, event: DynamoDBStreamEvent) => {
  const batchId = event.Records[0]?.eventID ?? 'empty';
  const checks = await triggerFromRecords(ctx, event.Records, batchId);
  metrics.addMetric('ModelsChecked', MetricUnit.Count, checks.length);
  metrics.addMetric(
    'LoopsStarted',
    MetricUnit.Count,
    checks.filter((check) => check.start === 'started').length,
  );
  return { checked: checks.length };
});
