import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#runtime/handler.ts';
import { deploy } from './deploy.ts';

export const handler = stepHandler('deploy', async (ctx, event: Parameters<typeof deploy>[1]) => {
  const deployment = await deploy(ctx, event);
  metrics.addMetric('Deployments', MetricUnit.Count, 1);
  return deployment;
});
