import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { analyze } from '#domain/analyze.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import type { Champion, Decision, Observed, RunContext } from '#domain/run.ts';
import { metrics, stepHandler } from '#shared/handler.ts';

export interface AnalyzeEvent {
  run: RunContext;
  policy: ModelPolicy;
  champion: Champion | null;
  observed: Observed;
}

export const handler = stepHandler('analyze', async (event: AnalyzeEvent): Promise<Decision> => {
  const decision = analyze({ ...event, force: event.run.force });
  metrics.addDimension('action', decision.action);
  metrics.addMetric('Decisions', MetricUnit.Count, 1);
  return decision;
});
