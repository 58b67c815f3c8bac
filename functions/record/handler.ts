import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#shared/handler.ts';
import { type RecordEvent, record } from './record.ts';

export const handler = stepHandler('record', async (event: RecordEvent) => {
  const runRecord = await record(event);
  metrics.addDimension('outcome', runRecord.outcome);
  metrics.addMetric('Runs', MetricUnit.Count, 1);
  return runRecord;
});
