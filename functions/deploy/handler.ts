import { stepHandler } from '#runtime/handler.ts';
import { publishMetric } from '#runtime/metrics.ts';
import { deploy } from './deploy.ts';

export const handler = stepHandler('deploy', async (ctx, event: Parameters<typeof deploy>[1]) => {
  const deployment = await deploy(ctx, event);
  publishMetric('Deployments', 1);
  return deployment;
});
