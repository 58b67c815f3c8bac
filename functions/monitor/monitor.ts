import { durationSeconds } from '#domain/duration.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import { type Champion, type LockState, type Observed, parseRunInput, type RunContext } from '#domain/run.ts';
import { bandWindowCount, recentWindowCount } from '#domain/state-size.ts';
import { bucketWindows, summarize } from '#domain/windows.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getChampion } from '#stores/champion.ts';
import { acquireLock } from '#stores/lock.ts';
import { queryObservations } from '#stores/observations.ts';
import { getPolicy } from '#stores/policies.ts';
import { retrainsBetween } from '#stores/versions.ts';
import { monitorDatasets } from './datasets.ts';

export interface MonitorEvent {
  input: unknown;
  execution: { name: string; startTime: string };
}

/** Everything the decision needs, gathered once; later steps receive it through the state. */
export interface MonitorOutput {
  run: RunContext;
  policy: ModelPolicy;
  champion: Champion | null;
  /** The window ending at `asOf`. */
  observed: Observed;
  /** Earlier windows for persistence, oldest first. */
  history: Observed[];
  /** The champion's reference-period windows, for KPI bands. */
  bandReference: Observed[];
  /** Logical times of retrains inside the budget period. */
  retrains: string[];
  lock: LockState;
}

const HOUR_MS = 3_600_000;

/** How long a run may hold the model's lock: the whole bake-and-verify phase plus two hours for training. */
export function lockLifetimeMs(policy: ModelPolicy): number {
  return durationSeconds(policy.rollout.bakePeriod) * (policy.rollout.maxChecks + 1) * 1000 + 2 * HOUR_MS;
}

/** Reads the windows needed for persistence and bands: `[asOf - windows * width, asOf)`. */
export async function readRecentWindows(
  ctx: KaizenContext,
  modelId: string,
  policy: ModelPolicy,
  asOf: string,
): Promise<Observed[]> {
  const seconds = durationSeconds(policy.window);
  const count = recentWindowCount(policy);
  const start = new Date(Date.parse(asOf) - count * seconds * 1000).toISOString();
  const observations = await queryObservations(ctx, modelId, { start, end: asOf });
  return bucketWindows(start, seconds, count, observations);
}

/**
 * For a policy with a `monitoring` section: computes the window's drift and data quality from the datasets
 * (once per window; the quality record marks it done) and returns the window re-read with them.
 */
export async function withDatasetMonitoring(
  ctx: KaizenContext,
  modelId: string,
  policy: ModelPolicy,
  champion: Champion | null,
  observed: Observed,
): Promise<Observed> {
  if (!policy.monitoring || observed.quality) return observed;
  const records = await monitorDatasets(
    ctx,
    modelId,
    policy.monitoring,
    champion,
    observed.window,
    policy.retention === undefined ? undefined : durationSeconds(policy.retention),
  );
  if (records.length === 0) return observed;
  return summarize(observed.window, await queryObservations(ctx, modelId, observed.window));
}

/** The champion's first `referenceWindows` windows after its deploy that end before `before`. */
export async function readBandReference(
  ctx: KaizenContext,
  modelId: string,
  policy: ModelPolicy,
  champion: Champion | null,
  before: string,
): Promise<Observed[]> {
  const referenceWindows = bandWindowCount(policy);
  if (!champion || referenceWindows === 0) return [];
  const seconds = durationSeconds(policy.window);
  const available = Math.floor((Date.parse(before) - Date.parse(champion.since)) / (seconds * 1000));
  const count = Math.min(referenceWindows, available);
  if (count <= 0) return [];
  const end = new Date(Date.parse(champion.since) + count * seconds * 1000).toISOString();
  return bucketWindows(
    champion.since,
    seconds,
    count,
    await queryObservations(ctx, modelId, { start: champion.since, end }),
  );
}

/**
 * Validates the execution input, takes the model's lock, and reads the policy, champion, the recent windows
 * of KPIs and drift scores, the band reference and the retrains inside the budget period.
 */
export async function monitor(
  ctx: KaizenContext,
  event: MonitorEvent,
  now = new Date(),
): Promise<MonitorOutput> {
  const input = parseRunInput(event.input);
  const policy = await getPolicy(ctx, input.modelId);
  const asOf = new Date(input.asOf ?? event.execution.startTime).toISOString();
  const lock = await acquireLock(
    ctx,
    input.modelId,
    event.execution.name,
    new Date(now.getTime() + lockLifetimeMs(policy)),
    now,
  );
  const champion = await getChampion(ctx, input.modelId);
  const windows = await readRecentWindows(ctx, input.modelId, policy, asOf);
  const observed = await withDatasetMonitoring(
    ctx,
    input.modelId,
    policy,
    champion,
    windows.at(-1) as Observed,
  );
  const history = windows.slice(0, -1);
  const bandReference = await readBandReference(
    ctx,
    input.modelId,
    policy,
    champion,
    history[0]?.window.start ?? observed.window.start,
  );
  const budgetStart = new Date(Date.parse(asOf) - durationSeconds(policy.budget.period) * 1000).toISOString();
  const retrains = await retrainsBetween(ctx, input.modelId, budgetStart, asOf, policy.budget.maxRetrains);
  const run: RunContext = {
    modelId: input.modelId,
    force: input.force,
    dryRun: input.dryRun,
    asOf,
    executionName: event.execution.name,
    startedAt: new Date(event.execution.startTime).toISOString(),
  };
  return { run, policy, champion, observed, history, bandReference, retrains, lock };
}
