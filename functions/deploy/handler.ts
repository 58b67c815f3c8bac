import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#shared/handler.ts';
import { deploy } from './deploy.ts';

export const handler = stepHandler('deploy', async (event: Parameters<typeof deploy>[0]) => {
  const deployment = await deploy(event);
  metrics.addMetric('Deployments', MetricUnit.Count, 1);
  return deployment;
});
