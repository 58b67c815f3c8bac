import { arrivalTimestamp } from '#domain/arrivals.ts';
import { currentDatasetKey } from '#domain/dated-keys.ts';
import { durationSeconds } from '#domain/duration.ts';
import {
  type KpiEvidence,
  kpisOnly,
  lookbackWindowCount,
  policyEvidence,
  referencePeriod,
} from '#domain/kpi-evidence.ts';
import type { Observation } from '#domain/observations.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import { type Champion, type LockState, type Observed, parseRunInput, type RunContext } from '#domain/run.ts';
import { recentWindowCount } from '#domain/state-size.ts';
import { bucketWindows, type QualityRecord, summarize } from '#domain/windows.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getChampion } from '#stores/champion.ts';
import { acquireLock } from '#stores/lock.ts';
import { queryMetricRows, queryObservations } from '#stores/observations.ts';
import { getPolicy } from '#stores/policies.ts';
import { retrainsBetween } from '#stores/versions.ts';
import type { DatasetGate } from './datasets.ts';

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
  /** Kept for the workflow's parameters; empty: KPI baselines travel compactly in `observed.evidence`. */
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

/** Reads `count` windows ending at `asOf`, oldest first: `[asOf - count * width, asOf)`. */
async function readWindows(
  ctx: KaizenContext,
  modelId: string,
  policy: ModelPolicy,
  asOf: string,
  count: number,
): Promise<Observed[]> {
  const seconds = durationSeconds(policy.window);
  const start = new Date(Date.parse(asOf) - count * seconds * 1000).toISOString();
  const observations = await queryObservations(ctx, modelId, { start, end: asOf });
  return bucketWindows(start, seconds, count, observations);
}

/** Reads the windows needed for persistence: `[asOf - windows * width, asOf)`. */
export async function readRecentWindows(
  ctx: KaizenContext,
  modelId: string,
  policy: ModelPolicy,
  asOf: string,
): Promise<Observed[]> {
  return readWindows(ctx, modelId, policy, asOf, recentWindowCount(policy));
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
  gate?: DatasetGate,
  /** The window datasets' sizes by key, when the model learns of them from arrival rows (see `#domain/arrivals.ts`). */
  arrived?: ReadonlyMap<string, number>,
): Promise<Observed> {
  if (!policy.monitoring || observed.quality) return observed;
  const currentKey = currentDatasetKey(policy.monitoring.current, observed.window.start);
  // Not arrived yet: nothing to read, and no request to learn it.
  if (arrived && !arrived.has(currentKey)) return observed;
  // The dataset readers and the drift math load with the first model that monitors datasets.
  const { monitorDatasets } = await import('./datasets.ts');
  const records = await monitorDatasets(
    ctx,
    modelId,
    policy.monitoring,
    champion,
    observed.window,
    policy.retention === undefined ? undefined : durationSeconds(policy.retention),
    gate,
    arrived?.get(currentKey),
  );
  if (records.length === 0) return observed;
  return summarize(observed.window, await queryObservations(ctx, modelId, observed.window));
}

/**
 * The KPI evidence of the window ending at `asOf`, per metric (see {@link policyEvidence}): the baseline is
 * recomputed from the metrics table at each run (one query per reference period), so a policy change applies at
 * once and no other step has to store it. `windows` are the lookback windows ending at `asOf`, oldest first.
 */
export async function readKpiEvidence(
  ctx: KaizenContext,
  modelId: string,
  policy: ModelPolicy,
  champion: Champion | null,
  windows: readonly Observed[],
  history: number,
  /** Rows already read from `start` (ms) to the end of `windows`: periods inside them need no query. */
  read?: { start: number; rows: (Observation | QualityRecord)[] },
): Promise<Record<string, KpiEvidence>> {
  const current = windows[windows.length - 1];
  if (!current || policy.kpis.length === 0) return {};
  const seconds = durationSeconds(policy.window);
  const periods = new Map<string, Observed[]>();
  const keyOf = (period: { start: string; count: number }) => `${period.start}|${period.count}`;
  for (const rule of policy.kpis) {
    const period = referencePeriod(rule, seconds, champion, current.window.start);
    if (!period || periods.has(keyOf(period))) continue;
    periods.set(
      keyOf(period),
      kpisOnly(
        // A period on the lookback's windows is a slice of them; any other is summarized from its rows.
        windowsWithin(windows, period.start, period.count) ??
          bucketWindows(
            period.start,
            seconds,
            period.count,
            read && Date.parse(period.start) >= read.start
              ? read.rows
              : await queryObservations(ctx, modelId, {
                  start: period.start,
                  end: new Date(Date.parse(period.start) + period.count * seconds * 1000).toISOString(),
                }),
          ),
      ),
    );
  }
  return policyEvidence(policy, seconds, champion, windows, history, (rule) => {
    const period = referencePeriod(rule, seconds, champion, current.window.start);
    return period ? (periods.get(keyOf(period)) ?? []) : [];
  });
}

/** The `count` consecutive windows of `windows` that start at `start`, if they are all there. */
function windowsWithin(windows: readonly Observed[], start: string, count: number): Observed[] | undefined {
  const first = windows.findIndex((observed) => observed.window.start === start);
  return first >= 0 && first + count <= windows.length ? windows.slice(first, first + count) : undefined;
}

/**
 * Where one query for the lookback starting at `lookback` (ms) should start so that it also holds every KPI
 * reference period overlapping or touching it (periods reaching further back are chained): such a period then
 * costs no query of its own, and no row is read that the separate queries would not have read.
 */
export function coveringStart(
  policy: ModelPolicy,
  champion: Champion | null,
  lookback: number,
  asOf: string,
): number {
  const seconds = durationSeconds(policy.window);
  const currentStart = new Date(Date.parse(asOf) - seconds * 1000).toISOString();
  const periods = policy.kpis
    .flatMap((rule) => referencePeriod(rule, seconds, champion, currentStart) ?? [])
    .map((period) => ({
      start: Date.parse(period.start),
      end: Date.parse(period.start) + period.count * seconds * 1000,
    }))
    .sort((a, b) => b.end - a.end);
  let start = lookback;
  for (const period of periods) if (period.end >= start) start = Math.min(start, period.start);
  return start;
}

/**
 * The window ending at `asOf` (with its dataset drift and its KPI evidence) and the earlier windows that
 * persistence needs, as the loop's Monitor step and the fleet's checks both read them.
 */
export async function readEvidence(
  ctx: KaizenContext,
  modelId: string,
  policy: ModelPolicy,
  champion: Champion | null,
  asOf: string,
  /** A sweep page's dataset gate (see {@link DatasetGate}). */
  gate?: DatasetGate,
  /** The model learns of its window datasets from arrival rows (see `#domain/arrivals.ts`): no S3 request until one arrives. */
  announced = false,
): Promise<{ observed: Observed; history: Observed[] }> {
  const recent = recentWindowCount(policy);
  const count = lookbackWindowCount(policy, recent);
  const seconds = durationSeconds(policy.window);
  const lookback = Date.parse(asOf) - count * seconds * 1000;
  // One query for the lookback and the KPI reference periods it overlaps (a second one only for a period apart),
  // and back to the day's start, where the arrival of the window's dataset is recorded.
  const currentStart = new Date(Date.parse(asOf) - seconds * 1000).toISOString();
  const covering = coveringStart(policy, champion, lookback, asOf);
  const start = announced ? Math.min(covering, Date.parse(arrivalTimestamp(currentStart))) : covering;
  const { rows, arrivals } = await queryMetricRows(ctx, modelId, {
    start: new Date(start).toISOString(),
    end: asOf,
  });
  const windows = bucketWindows(new Date(lookback).toISOString(), seconds, count, rows);
  const carried = windows.slice(-recent);
  const observed = await withDatasetMonitoring(
    ctx,
    modelId,
    policy,
    champion,
    carried.at(-1) as Observed,
    gate,
    announced ? new Map(arrivals.map((arrival) => [arrival.key, arrival.bytes])) : undefined,
  );
  const evidence = await readKpiEvidence(ctx, modelId, policy, champion, windows, recent - 1, {
    start,
    rows,
  });
  if (Object.keys(evidence).length > 0) observed.evidence = evidence;
  return { observed, history: carried.slice(0, -1) };
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
  const { observed, history } = await readEvidence(ctx, input.modelId, policy, champion, asOf);
  const bandReference: Observed[] = [];
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
