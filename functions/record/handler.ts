import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#runtime/handler.ts';
import { type RecordEvent, record } from './record.ts';

export const handler = stepHandler('record', async (ctx, event: RecordEvent) => {
  const runRecord = await record(ctx, event);
  metrics.addDimension('outcome', runRecord.outcome);
  metrics.addMetric('Runs', MetricUnit.Count, 1);
  return runRecord;
});
