import { stepHandler } from '#runtime/handler.ts';
import { publishMetric } from '#runtime/metrics.ts';
import { register } from './register.ts';

export const handler = stepHandler('register', async (ctx, event: Parameters<typeof register>[1]) => {
  const candidate = await register(ctx, event);
  publishMetric('CandidatesTrained', 1);
  return candidate;
});
