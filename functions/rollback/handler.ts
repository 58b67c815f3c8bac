import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#runtime/handler.ts';
import { rollback } from './rollback.ts';

export const handler = stepHandler('rollback', async (ctx, event: Parameters<typeof rollback>[1]) => {
  const result = await rollback(ctx, event);
  metrics.addMetric('Rollbacks', MetricUnit.Count, 1);
  return result;
});
