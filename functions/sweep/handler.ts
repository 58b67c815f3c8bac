import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { metrics, stepHandler } from '#shared/handler.ts';
import { type SweepEvent, sweepPage } from './sweep.ts';

export const handler = stepHandler('sweep', async (event: SweepEvent) => {
  const state = await sweepPage(event);
  metrics.addMetric('ModelsChecked', MetricUnit.Count, state.totals.models);
  return state;
});
