import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#shared/handler.ts';
import { train } from './train.ts';

export const handler = stepHandler('train', async (event: Parameters<typeof train>[0]) => {
  const candidate = await train(event);
  metrics.addMetric('CandidatesTrained', MetricUnit.Count, 1);
  return candidate;
});
