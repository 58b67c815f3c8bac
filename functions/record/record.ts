import { buildRunRecord, type LoopState, type RunRecord } from '#domain/record.ts';
import type { KpiSummary, Outcome } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { setBaseline } from '#stores/champion.ts';
import { releaseLock } from '#stores/lock.ts';
import { putRun } from '#stores/runs.ts';
import { setVersionStatus } from '#stores/versions.ts';

export interface RecordEvent {
  state: LoopState;
  /** The execution, also known when Monitor failed before the run context existed. */
  execution?: { name: string; startTime: string };
  /** `decided`: the run ended at the decision; the record says which (no-action, watch, blocked, dry-run). */
  outcome: Outcome | 'decided';
}

function baselineFrom(kpis: KpiSummary[] | undefined): Record<string, number> | undefined {
  if (!kpis || kpis.length === 0) return undefined;
  return Object.fromEntries(kpis.map((kpi) => [kpi.metric, kpi.value]));
}

/**
 * Writes the run's audit record and the registry facts it settles: a rejected candidate is marked so, a
 * verified champion gets its post-deploy KPIs as baseline, and a champion without a baseline gets one from
 * a healthy window.
 */
export async function record(
  ctx: KaizenContext,
  event: RecordEvent,
  now = new Date().toISOString(),
): Promise<RunRecord> {
  const { state, execution } = event;
  const runRecord = buildRunRecord(state, event.outcome, now, execution);
  const { modelId, outcome } = runRecord;
  if (outcome === 'rejected' && state.candidate)
    await setVersionStatus(ctx, modelId, state.candidate.version, 'rejected');
  if (outcome === 'promoted' && state.deployment) {
    const baseline = baselineFrom(state.verification?.after);
    if (baseline) await setBaseline(ctx, modelId, state.deployment.version, baseline);
  }
  if (
    outcome === 'no-action' &&
    state.champion &&
    !state.champion.baseline &&
    state.decision?.action === 'none'
  ) {
    const sufficient = !state.decision.reasons.some((reason) => reason.rule === 'kpi-min-count');
    const baseline = sufficient ? baselineFrom(state.observed?.kpis) : undefined;
    if (baseline) await setBaseline(ctx, modelId, state.champion.version, baseline);
  }
  await putRun(ctx, runRecord);
  // Conditional on the owner, so it is safe even when Monitor failed before saying whether it got the lock.
  if (state.lock?.acquired !== false && runRecord.executionName !== 'unknown') {
    await releaseLock(ctx, modelId, runRecord.executionName);
  }
  return runRecord;
}
