import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#runtime/handler.ts';
import { train } from './train.ts';

export const handler = stepHandler('train', async (ctx, event: Parameters<typeof train>[1]) => {
  const candidate = await train(ctx, event);
  metrics.addMetric('CandidatesTrained', MetricUnit.Count, 1);
  return candidate;
});
