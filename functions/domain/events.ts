import type { RunRecord } from './record.ts';
import type { Outcome } from './run.ts';

/**
 * The `detail-type` of the event each run outcome publishes on the stack's bus (source `kaizen-loop`).
 * Outcomes that change nothing worth telling (`no-action`, `watch`, `dry-run`, `unlocked`) publish none.
 */
export const OUTCOME_EVENTS: Partial<Record<Outcome, string>> = {
  promoted: 'Kaizen Model Promoted',
  'rolled-back': 'Kaizen Model Rolled Back',
  rejected: 'Kaizen Candidate Rejected',
  blocked: 'Kaizen Model Blocked',
  failed: 'Kaizen Run Failed',
};

/** The detail of an outcome event: enough for a serving refresh, a chat message or an audit log, no more. */
export interface OutcomeEventDetail {
  modelId: string;
  outcome: Outcome;
  /** The champion version before and after the run (null: none). */
  championBefore: number | null;
  championAfter: number | null;
  /** The serving champion's model after the run (its artifact key), when the run knows it. */
  championArtifact: string | null;
  /** The version this run trained, if any. */
  candidate: { version: number; artifactKey: string; backend: string } | null;
  summary: string;
  /** The decision's and the gate's reasons, one sentence each. */
  reasons: string[];
  /** The gate's scores, when the run got that far. */
  scores: { metric: string; candidate: number; champion: number | null } | null;
  error: { name: string; message: string } | null;
  /** The serving target beyond the registry (endpoint and configs, or function versions and traffic share). */
  target: RunRecord['target'] | null;
  executionName: string;
  asOf: string;
  finishedAt: string;
}

/** The event a run record publishes, or undefined for outcomes that publish none. */
export function outcomeEvent(
  record: RunRecord,
  championArtifact: string | null,
): { detailType: string; detail: OutcomeEventDetail } | undefined {
  const detailType = OUTCOME_EVENTS[record.outcome];
  if (!detailType) return undefined;
  const { candidate, evaluation } = record;
  return {
    detailType,
    detail: {
      modelId: record.modelId,
      outcome: record.outcome,
      championBefore: record.championBefore,
      championAfter: record.championAfter,
      championArtifact,
      candidate: candidate
        ? {
            version: candidate.version,
            artifactKey: candidate.artifactKey,
            backend: candidate.backend ?? 'builtin',
          }
        : null,
      summary: record.summary,
      reasons: [
        ...(record.decision?.reasons.filter((reason) => reason.breached).map((reason) => reason.message) ??
          []),
        ...(evaluation?.reasons ?? []),
        ...(record.verification?.reasons ?? []),
      ],
      scores: evaluation
        ? {
            metric: evaluation.metric,
            candidate: evaluation.candidateScore,
            champion: evaluation.championScore,
          }
        : null,
      error: record.error ?? null,
      target: record.target ?? null,
      executionName: record.executionName,
      asOf: record.asOf,
      finishedAt: record.finishedAt,
    },
  };
}
