import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { analyze } from '#domain/analyze.ts';
import type { Decision } from '#domain/run.ts';
import { metrics, stepHandler } from '#runtime/handler.ts';
import type { MonitorOutput } from '../monitor/monitor.ts';

export const handler = stepHandler('analyze', async (_ctx, event: MonitorOutput): Promise<Decision> => {
  const decision = analyze({ ...event, asOf: event.run.asOf, force: event.run.force });
  metrics.addDimension('action', decision.action);
  metrics.addMetric('Decisions', MetricUnit.Count, 1);
  return decision;
});
