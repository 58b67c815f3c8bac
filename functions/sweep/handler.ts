import { stepHandler } from '#runtime/handler.ts';
import { publishMetric } from '#runtime/metrics.ts';
import { type SweepEvent, sweepPage } from './sweep.ts';

type Totals = Awaited<ReturnType<typeof sweepPage>>['totals'];

export const handler = stepHandler('sweep', async (ctx, event: SweepEvent) => {
  const state = await sweepPage(ctx, event);
  // The totals run over the whole sweep: publish this page's share so sums over time are right.
  const before = (event.input as { totals?: Partial<Totals> } | null)?.totals ?? {};
  const page = (key: keyof Totals) => state.totals[key] - (before[key] ?? 0);
  const source = { source: 'sweep' };
  publishMetric('ModelsChecked', page('models'), source);
  publishMetric('LoopsStarted', page('started'), source);
  publishMetric('ModelsBlocked', page('blocked'), source);
  publishMetric('CheckErrors', page('errors'), source);
  if (state.cursor === null || state.continueAsNew) {
    publishMetric('SweepDuration', (Date.now() - Date.parse(event.execution.startTime)) / 1000);
  }
  return state;
});
