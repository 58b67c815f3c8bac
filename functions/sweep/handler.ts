import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#runtime/handler.ts';
import { type SweepEvent, sweepPage } from './sweep.ts';

export const handler = stepHandler('sweep', async (ctx, event: SweepEvent) => {
  const state = await sweepPage(ctx, event);
  metrics.addMetric('ModelsChecked', MetricUnit.Count, state.totals.models);
  return state;
});
