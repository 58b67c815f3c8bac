import { stepHandler } from '#runtime/handler.ts';
import { publishMetric } from '#runtime/metrics.ts';
import { train } from './train.ts';

export const handler = stepHandler('train', async (ctx, event: Parameters<typeof train>[1]) => {
  const candidate = await train(ctx, event);
  publishMetric('CandidatesTrained', 1);
  return candidate;
});
