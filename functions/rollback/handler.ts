import { stepHandler } from '#runtime/handler.ts';
import { publishMetric } from '#runtime/metrics.ts';
import { rollback } from './rollback.ts';

export const handler = stepHandler('rollback', async (ctx, event: Parameters<typeof rollback>[1]) => {
  const result = await rollback(ctx, event);
  // Null: a failed Deploy had not moved the alias, so nothing was rolled back.
  if (result) publishMetric('Rollbacks', 1);
  return result;
});
