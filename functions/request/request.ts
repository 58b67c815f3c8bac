import { APPROVAL_REQUESTED, TRAINING_REQUESTED } from '#contracts/workflows.ts';
import type { Candidate, Champion, Evaluation, RunContext } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { putPendingTask } from '#stores/tasks.ts';
import type { TrainingRequest } from '../prepare/training.ts';

/** An external trainer is asked to train. */
export interface TrainingRequestEvent {
  kind?: 'training';
  /** The task token Step Functions waits on (`$$.Task.Token`). */
  token: string;
  request: TrainingRequest;
  run: RunContext;
}

/** A person is asked to approve a promotion the gate passed. */
export interface ApprovalRequestEvent {
  kind: 'approval';
  token: string;
  run: RunContext;
  candidate: Candidate;
  champion: Champion | null;
  evaluation: Evaluation;
}

export type RequestEvent = TrainingRequestEvent | ApprovalRequestEvent;

/** What an approver sees: the candidate, the gate's scores and reasons, its data, and how to answer. */
export function approvalDetail(
  event: ApprovalRequestEvent,
): Record<string, unknown> & { timeoutSeconds: number } {
  const { run, candidate, champion, evaluation } = event;
  const approval = evaluation.approval;
  return {
    modelId: run.modelId,
    executionName: run.executionName,
    asOf: run.asOf,
    reason: approval?.reason ?? 'approval required',
    candidate: {
      version: candidate.version,
      backend: candidate.backend ?? 'builtin',
      artifactKey: candidate.artifactKey,
      dataset: candidate.dataset,
    },
    champion: champion ? { version: champion.version, artifactKey: champion.artifactKey } : null,
    scores: {
      metric: evaluation.metric,
      candidate: evaluation.candidateScore,
      champion: evaluation.championScore,
      holdout: evaluation.holdout,
    },
    reasons: evaluation.reasons,
    card: `kaizen card --model ${run.modelId} ${candidate.version}`,
    timeoutSeconds: approval?.timeoutSeconds ?? 0,
    answer: `kaizen approve --model ${run.modelId} [--comment TEXT], or kaizen reject --model ${run.modelId} --reason TEXT (SendTaskSuccess with {"approved": true|false, "by": "...", "comment": "..."})`,
  };
}

/**
 * Asks for an answer by task token: an external trainer to train, or a person to approve a promotion. Records
 * the pending task (so `kaizen tasks` and `kaizen approvals` list it and the run's end closes it) and publishes
 * the request with its token on the event bus. The workflow then waits for the token's answer; this
 * function's own result is ignored.
 */
export async function request(
  ctx: KaizenContext,
  event: RequestEvent,
  now = new Date(),
): Promise<{ requested: string }> {
  const { token, run } = event;
  const kind = event.kind ?? 'training';
  const detail = event.kind === 'approval' ? approvalDetail(event) : { ...event.request };
  await putPendingTask(ctx, {
    kind,
    modelId: run.modelId,
    executionName: run.executionName,
    token,
    requestedAt: now.toISOString(),
    deadline: new Date(now.getTime() + detail.timeoutSeconds * 1000).toISOString(),
    request: detail,
  });
  await ctx.events.publish(kind === 'approval' ? APPROVAL_REQUESTED : TRAINING_REQUESTED, {
    ...detail,
    taskToken: token,
  });
  return { requested: run.executionName };
}
