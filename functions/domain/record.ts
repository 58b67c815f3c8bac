import type { ApprovalOutcome } from './approval.ts';
import type { NotificationKind } from './notifications.ts';
import type { KpiRule } from './policy.ts';
import type {
  Candidate,
  Champion,
  Decision,
  Deployment,
  Evaluation,
  LockState,
  Observed,
  Outcome,
  RunContext,
  Verification,
} from './run.ts';

/** What the improvement loop carries from step to step (the state machine's JSON state). */
export interface LoopState {
  run?: RunContext;
  /** The raw execution input, present when Monitor itself failed. */
  modelId?: string;
  /** The policy Monitor read (cards take its description, Record the notifications it asks for and the KPIs' value). */
  policy?: {
    description?: string;
    notifications?: { on?: NotificationKind[] };
    kpis?: Pick<KpiRule, 'metric' | 'direction' | 'kind' | 'value'>[];
  };
  champion?: Champion | null;
  observed?: Observed;
  history?: Observed[];
  lock?: LockState;
  decision?: Decision;
  /** What PrepareTraining built; `request` means an external trainer was (or was about to be) asked. */
  prepared?: { request?: unknown };
  candidate?: Candidate;
  evaluation?: Evaluation;
  /** A person's answer to the approval request (or its timeout). */
  approval?: ApprovalOutcome;
  deployment?: Deployment;
  /** The SageMaker endpoint deploy (`sagemaker-endpoint` target), as far as it got. */
  hosting?: {
    endpoint?: { EndpointName: string; EndpointConfigName: string };
    previous?: { config: string };
    now?: { status: string; config: string };
  };
  /** The Lambda alias deploy (`lambda-alias` target), as far as it got. */
  lambda?: { alias?: { version: string }; published?: { version: string } };
  /** The traffic stage reached (`lambda-alias`). */
  stage?: { index: number; percent?: number };
  verification?: Verification;
  /** What Rollback took back; null when a failed Deploy had not moved the alias (nothing to undo). */
  rollback?: { restoredVersion: number | null; removedVersion: number; at: string } | null;
  /** Step Functions' Catch output: the error name and its cause (often a JSON string from Lambda). */
  error?: { Error?: string; Cause?: string };
}

/** The audit record of one loop run: what was observed, what was decided, what happened, and why. */
/** Where the run deployed the candidate besides the registry, and what the target served before. */
export type TargetSummary =
  | {
      target: 'sagemaker-endpoint';
      endpoint: string;
      config: string;
      previousConfig: string | null;
      status: string | null;
    }
  | {
      target: 'lambda-alias';
      version: string | null;
      previousVersion: string | null;
      /** The candidate's share of the alias's traffic at the last stage reached. */
      percent: number | null;
    };

/** The target part of a run record, from the state the deployment-target states left. */
export function targetSummary(state: LoopState): TargetSummary | undefined {
  if (state.hosting?.endpoint) {
    return {
      target: 'sagemaker-endpoint',
      endpoint: state.hosting.endpoint.EndpointName,
      config: state.hosting.endpoint.EndpointConfigName,
      previousConfig: state.hosting.previous?.config ?? null,
      status: state.hosting.now?.status ?? null,
    };
  }
  if (state.lambda) {
    return {
      target: 'lambda-alias',
      version: state.lambda.published?.version ?? null,
      previousVersion: state.lambda.alias?.version ?? null,
      percent: state.stage?.percent ?? null,
    };
  }
  return undefined;
}

export interface RunRecord {
  modelId: string;
  executionName: string;
  startedAt: string;
  finishedAt: string;
  asOf: string;
  outcome: Outcome;
  summary: string;
  championBefore: number | null;
  championAfter: number | null;
  force: boolean;
  dryRun: boolean;
  observed?: Observed;
  decision?: Decision;
  candidate?: Candidate;
  evaluation?: Evaluation;
  /** A person's answer to the approval request (or its timeout). */
  approval?: ApprovalOutcome;
  deployment?: Deployment;
  verification?: Verification;
  rollback?: LoopState['rollback'];
  /** The serving target beyond the registry, when the policy names one and the run reached it. */
  target?: TargetSummary;
  error?: { name: string; message: string };
}

/**
 * Errors reach Catch as `{Error, Cause}`: for a Lambda, Cause is a JSON string `{errorType, errorMessage}`; for a
 * failed `.sync` SageMaker job, the job's Describe response, whose `FailureReason` says what went wrong.
 */
export function describeError(error: LoopState['error']): { name: string; message: string } | undefined {
  if (!error) return undefined;
  const name = error.Error ?? 'Error';
  let message = error.Cause ?? '';
  try {
    const cause = JSON.parse(message) as {
      errorMessage?: string;
      FailureReason?: string;
      TrainingJobName?: string;
      ProcessingJobName?: string;
    };
    if (typeof cause.errorMessage === 'string') message = cause.errorMessage;
    else if (typeof cause.FailureReason === 'string') {
      const job = cause.TrainingJobName ?? cause.ProcessingJobName;
      message = job ? `SageMaker job ${job} failed: ${cause.FailureReason}` : cause.FailureReason;
    }
  } catch {
    // Cause is plain text.
  }
  return {
    name,
    message: message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE)}…` : message,
  };
}

/** Longest error message kept in a run record (stack traces and huge causes would crowd a 400 KB item). */
export const MAX_ERROR_MESSAGE = 2000;

function summarize(
  outcome: Outcome,
  state: LoopState,
  error: RunRecord['error'],
  championAfter: number | null,
): string {
  const candidate = state.candidate ? `v${state.candidate.version}` : 'the candidate';
  switch (outcome) {
    case 'no-action':
    case 'watch':
    case 'blocked':
    case 'dry-run':
      return `${outcome === 'dry-run' ? 'dry run, ' : ''}${state.decision?.summary ?? 'no decision'}`;
    case 'rejected': {
      const approval = state.approval;
      if (approval && 'timedOut' in approval)
        return `${candidate} rejected: nobody approved it in time (${state.evaluation?.approval?.reason ?? 'approval required'})`;
      if (approval && !approval.approved)
        return `${candidate} rejected by ${approval.by}${approval.comment ? `: ${approval.comment}` : ''}`;
      return `${candidate} rejected by the gate: ${state.evaluation?.reasons.join('; ') ?? ''}`;
    }
    case 'promoted': {
      const approved = state.approval?.approved ? `, approved by ${state.approval.by}` : '';
      return `${candidate} promoted${approved} and verified: ${state.verification?.reasons.join('; ') ?? ''}`;
    }
    case 'rolled-back': {
      const why = error ? `${error.name}: ${error.message}` : (state.verification?.reasons.join('; ') ?? '');
      const restored = state.rollback?.restoredVersion;
      const to =
        restored === null || restored === undefined
          ? 'no champion (it was the first version)'
          : `v${restored}`;
      return `${candidate} rolled back to ${to}: ${why}`;
    }
    case 'failed': {
      const cause = `failed: ${error?.name ?? 'Error'}: ${error?.message ?? ''}`;
      // A failure after the deploy whose rollback did not complete leaves the candidate serving.
      const before = state.champion?.version ?? null;
      if (championAfter !== before)
        return `${cause}; champion left at ${championAfter === null ? 'none' : `v${championAfter}`}`;
      return `${cause}; champion unchanged`;
    }
    case 'unlocked':
      return 'the lock was released by hand';
  }
}

/**
 * The audit record of a lock released by hand (`kaizen unlock`): which run held it until when. It is listed
 * with the runs in `kaizen history`; nothing else changes.
 */
export function unlockRecord(input: {
  modelId: string;
  lock: { owner: string; expiresAt: string; acquiredAt?: string };
  champion: number | null;
  executionName: string;
  now: string;
}): RunRecord {
  const { modelId, lock, champion, executionName, now } = input;
  return {
    modelId,
    executionName,
    startedAt: now,
    finishedAt: now,
    asOf: now,
    outcome: 'unlocked',
    summary:
      `lock of ${lock.owner} (taken ${lock.acquiredAt ?? 'at an unknown time'}, expiring ${lock.expiresAt}) ` +
      'released by hand',
    championBefore: champion,
    championAfter: champion,
    force: false,
    dryRun: false,
  };
}

/** The outcome of a run that ended at the decision: what the decision was, or a dry run of a retrain. */
export function decidedOutcome(state: LoopState): Outcome {
  const action = state.decision?.action;
  if (action === 'retrain') return 'dry-run';
  if (action === 'watch' || action === 'blocked') return action;
  return 'no-action';
}

/**
 * Builds the run record of a finished run from the loop state; `decided` derives the outcome from the decision.
 * `championNow` is the registry's champion when the run failed: the record states it rather than what the
 * state suggests (a step may have failed after its write).
 */
export function buildRunRecord(
  state: LoopState,
  requested: Outcome | 'decided',
  finishedAt: string,
  execution?: { name: string; startTime: string },
  championNow?: number | null,
): RunRecord {
  const outcome = requested === 'decided' ? decidedOutcome(state) : requested;
  const run = state.run;
  const modelId = run?.modelId ?? state.modelId ?? 'unknown';
  const error = describeError(state.error);
  // A run that failed before Monitor read the champion changed nothing: the registry's champion was there before.
  const championBefore =
    state.champion === undefined && championNow !== undefined
      ? championNow
      : (state.champion?.version ?? null);
  let championAfter = championBefore;
  if (outcome === 'promoted' && state.deployment) championAfter = state.deployment.version;
  if (outcome === 'rolled-back') championAfter = state.rollback?.restoredVersion ?? championBefore;
  if (outcome === 'failed') {
    if (championNow !== undefined) championAfter = championNow;
    else if (state.deployment && !state.rollback) championAfter = state.deployment.version;
  }
  const record: RunRecord = {
    modelId,
    executionName: run?.executionName ?? execution?.name ?? 'unknown',
    startedAt: run?.startedAt ?? (execution ? new Date(execution.startTime).toISOString() : finishedAt),
    finishedAt,
    asOf: run?.asOf ?? finishedAt,
    outcome,
    summary: summarize(outcome, state, error, championAfter),
    championBefore,
    championAfter,
    force: run?.force ?? false,
    dryRun: run?.dryRun ?? false,
  };
  for (const key of [
    'observed',
    'decision',
    'candidate',
    'evaluation',
    'approval',
    'deployment',
    'verification',
    'rollback',
  ] as const) {
    if (state[key] !== undefined) Object.assign(record, { [key]: state[key] });
  }
  const target = targetSummary(state);
  if (target) record.target = target;
  if (error) record.error = error;
  return record;
}
