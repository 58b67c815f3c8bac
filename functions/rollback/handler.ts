import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#shared/handler.ts';
import { rollback } from './rollback.ts';

export const handler = stepHandler('rollback', async (event: Parameters<typeof rollback>[0]) => {
  const result = await rollback(event);
  metrics.addMetric('Rollbacks', MetricUnit.Count, 1);
  return result;
});
