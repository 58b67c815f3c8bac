import { analyze } from '#domain/analyze.ts';
import type { Decision } from '#domain/run.ts';
import { stepHandler } from '#runtime/handler.ts';
import { publishMetric } from '#runtime/metrics.ts';
import type { MonitorOutput } from '../monitor/monitor.ts';

export const handler = stepHandler('analyze', async (_ctx, event: MonitorOutput): Promise<Decision> => {
  const decision = analyze({ ...event, asOf: event.run.asOf, force: event.run.force });
  publishMetric('Decisions', 1, { action: decision.action });
  return decision;
});
