import { durationSeconds, windowEnding } from '#domain/duration.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import { type Champion, type Observed, parseRunInput, type RunContext } from '#domain/run.ts';
import { queryObservations, summarize } from '#shared/metrics-store.ts';
import { getChampion, getPolicy } from '#shared/registry.ts';

export interface MonitorEvent {
  input: unknown;
  execution: { name: string; startTime: string };
}

export interface MonitorOutput {
  run: RunContext;
  policy: ModelPolicy;
  champion: Champion | null;
  observed: Observed;
}

/** Validates the execution input and reads the model's policy, champion and the window's observations. */
export async function monitor(event: MonitorEvent): Promise<MonitorOutput> {
  const input = parseRunInput(event.input);
  const policy = await getPolicy(input.modelId);
  const champion = await getChampion(input.modelId);
  const asOf = new Date(input.asOf ?? event.execution.startTime).toISOString();
  const window = windowEnding(asOf, durationSeconds(policy.window));
  const observed = summarize(window, await queryObservations(input.modelId, window));
  const run: RunContext = {
    modelId: input.modelId,
    force: input.force,
    dryRun: input.dryRun,
    asOf,
    executionName: event.execution.name,
    startedAt: new Date(event.execution.startTime).toISOString(),
  };
  return { run, policy, champion, observed };
}
