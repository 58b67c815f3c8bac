import { setImmediate } from 'node:timers/promises';
import { InvalidInputError } from '#contracts/errors.ts';
import { FUNCTIONS } from '#contracts/steps.ts';
import { formatIssues } from '#domain/policy.ts';
import { SweepInputSchema, type SweepState } from '#domain/sweep.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getChampions } from '#stores/champion.ts';
import { putChecks } from '#stores/checks.ts';
import { type ModelEntry, modelEntry } from '#stores/policies.ts';
import { pageStoredModels } from '#stores/registered.ts';
import { automatedAsOf, checkFailed, checkModelSafely, windowDatasetKey } from '../fleet/check.ts';
import { pageDatasetGate } from '../fleet/datasets.ts';
import { mapLimit } from '../fleet/pool.ts';

export interface SweepEvent {
  input: unknown;
  execution: { name: string; startTime: string };
}

/** Checks in flight; dataset reads among them are further bounded by memory (`pageDatasetGate`). */
const CONCURRENCY = 16;
/** Seconds of a page's time kept for its KPI checks and writes after the last dataset read. */
const RESERVED_SECONDS = 60;

/**
 * One page of the fleet sweep: reads a page of registered models, their champions in one batch, checks
 * each against its policy, starts loops where the decision is `retrain`, and records every decision.
 */
export async function sweepPage(
  ctx: KaizenContext,
  event: SweepEvent,
  now = new Date(),
  /** The page's clock (ms), for the dataset reads' deadline. */
  clock: () => number = Date.now,
): Promise<SweepState> {
  const parsed = SweepInputSchema.safeParse(event.input ?? {});
  if (!parsed.success)
    throw new InvalidInputError(`invalid sweep input: ${formatIssues(parsed.error).join('; ')}`);
  const input = parsed.data;
  const at = new Date(input.at ?? event.execution.startTime).toISOString();
  const totals = input.totals ?? {
    models: 0,
    none: 0,
    watch: 0,
    retrain: 0,
    blocked: 0,
    started: 0,
    duplicates: 0,
    errors: 0,
  };
  const page = await pageStoredModels(ctx, input.pageSize, input.cursor ?? undefined);
  // The champions are read while this thread parses the policies: the request is sent before the parsing starts.
  const championsRead = getChampions(
    ctx,
    page.models.map((model) => model.modelId),
  );
  // Its failure is thrown where it is awaited below, not reported as unhandled while this thread yields.
  championsRead.catch(() => undefined);
  await setImmediate();
  // A policy that no longer parses (stored by another version) fails its own model's check, not the page.
  const models = page.models.map((stored) => {
    try {
      return modelEntry(stored);
    } catch (unreadable) {
      return { modelId: stored.modelId, unreadable };
    }
  });
  const champions = await championsRead;
  const asOf = (model: ModelEntry) => automatedAsOf(model.policy, at, 'floor');
  const windowKeys = models.flatMap((model) =>
    'unreadable' in model ? [] : (windowDatasetKey(model.policy, asOf(model), model.arrivalPrefix) ?? []),
  );
  const gate = pageDatasetGate(ctx, windowKeys, {
    memoryMb: ctx.memoryMb ?? FUNCTIONS.sweep.memoryMb,
    deadline: clock() + (FUNCTIONS.sweep.timeoutSeconds - RESERVED_SECONDS) * 1000,
    now: clock,
  });
  const checks = await mapLimit(models, CONCURRENCY, async (model) =>
    'unreadable' in model
      ? checkFailed(model.modelId, at, model.unreadable)
      : checkModelSafely(ctx, model, champions.get(model.modelId) ?? null, asOf(model), 'sweep', gate),
  );
  await putChecks(ctx, 'sweep', at, `${event.execution.name}-${input.pages}`, checks);
  for (const check of checks) {
    totals.models += 1;
    if (check.action === 'error') totals.errors += 1;
    else totals[check.action] += 1;
    if (check.start === 'started') totals.started += 1;
    if (check.start === 'duplicate') totals.duplicates += 1;
  }
  const state: SweepState = {
    cursor: page.next,
    pageSize: input.pageSize,
    at,
    pages: input.pages + 1,
    totals,
    continueAfterSeconds: input.continueAfterSeconds,
  };
  const elapsedMs = now.getTime() - Date.parse(event.execution.startTime);
  if (page.next !== null && elapsedMs >= input.continueAfterSeconds * 1000) state.continueAsNew = true;
  return state;
}
