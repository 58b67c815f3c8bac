import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#runtime/handler.ts';
import { register } from './register.ts';

export const handler = stepHandler('register', async (ctx, event: Parameters<typeof register>[1]) => {
  const candidate = await register(ctx, event);
  metrics.addMetric('CandidatesTrained', MetricUnit.Count, 1);
  return candidate;
});
