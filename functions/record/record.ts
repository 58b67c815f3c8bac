import { OUTCOME_EVENTS, outcomeEvent } from '#domain/events.ts';
import { buildRunRecord, type LoopState, type RunRecord } from '#domain/record.ts';
import type { KpiSummary, Outcome } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getChampion, setBaseline } from '#stores/champion.ts';
import { releaseLock } from '#stores/lock.ts';
import { putRun } from '#stores/runs.ts';
import { closePendingTask } from '#stores/tasks.ts';
import { listVersions, setVersionStatus } from '#stores/versions.ts';
import { modelCard, writeModelCard } from './card.ts';

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
  const modelId = state.run?.modelId ?? state.modelId;
  // A failed run records the registry's champion, not the state's guess: a step may have failed after its write.
  const championNow =
    event.outcome === 'failed' && modelId ? ((await getChampion(ctx, modelId))?.version ?? null) : undefined;
  const runRecord = buildRunRecord(state, event.outcome, now, execution, championNow);
  const { outcome } = runRecord;
  if (outcome === 'rejected' && state.candidate)
    await setVersionStatus(ctx, runRecord.modelId, state.candidate.version, 'rejected');
  // Candidates of a failed run that are not serving and were not rolled back are never judged: mark them
  // failed. Read from the registry: Train may have registered one before it failed (no candidate in the state).
  if (outcome === 'failed' && modelId) {
    const unjudged = (await listVersions(ctx, modelId, 3)).filter(
      (v) =>
        v.executionName === runRecord.executionName && v.status === 'candidate' && v.version !== championNow,
    );
    for (const version of unjudged) await setVersionStatus(ctx, modelId, version.version, 'failed');
  }
  if (outcome === 'promoted' && state.deployment) {
    const baseline = baselineFrom(state.verification?.after);
    if (baseline) await setBaseline(ctx, runRecord.modelId, state.deployment.version, baseline);
  }
  if (
    outcome === 'no-action' &&
    state.champion &&
    !state.champion.baseline &&
    state.decision?.action === 'none'
  ) {
    const sufficient = !state.decision.reasons.some((reason) => reason.rule === 'kpi-min-count');
    const baseline = sufficient ? baselineFrom(state.observed?.kpis) : undefined;
    if (baseline) await setBaseline(ctx, runRecord.modelId, state.champion.version, baseline);
  }
  await putRun(ctx, runRecord);
  // The candidate's model card, as of this run (its scores, approval, deploy and rollback so far).
  if (state.candidate && runRecord.executionName !== 'unknown') {
    const card = await modelCard(
      ctx,
      runRecord.modelId,
      state.candidate.version,
      state.policy?.description,
      now,
    );
    if (card) await writeModelCard(ctx, card);
  }
  // Every champion change, rejection, block and failure is an event on the bus (serving refreshes, chat, audits).
  if (OUTCOME_EVENTS[runRecord.outcome] && runRecord.executionName !== 'unknown') {
    const artifact =
      runRecord.championAfter === null
        ? null
        : ((await getChampion(ctx, runRecord.modelId))?.artifactKey ?? null);
    const published = outcomeEvent(runRecord, artifact);
    if (published) await ctx.events.publish(published.detailType, { ...published.detail });
  }
  // A run that asked an external trainer or a person no longer waits for them, however it ended.
  if ((state.prepared?.request || state.evaluation?.approval) && runRecord.executionName !== 'unknown') {
    await closePendingTask(ctx, runRecord.executionName);
  }
  // Conditional on the owner, so it is safe even when Monitor failed before saying whether it got the lock.
  if (state.lock?.acquired !== false && runRecord.executionName !== 'unknown') {
    await releaseLock(ctx, runRecord.modelId, runRecord.executionName);
  }
  return runRecord;
}
