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
  champion?: Champion | null;
  observed?: Observed;
  history?: Observed[];
  lock?: LockState;
  decision?: Decision;
  /** What PrepareTraining built; `request` means an external trainer was (or was about to be) asked. */
  prepared?: { request?: unknown };
  candidate?: Candidate;
  evaluation?: Evaluation;
  deployment?: Deployment;
  verification?: Verification;
  /** What Rollback took back; null when a failed Deploy had not moved the alias (nothing to undo). */
  rollback?: { restoredVersion: number | null; removedVersion: number; at: string } | null;
  /** Step Functions' Catch output: the error name and its cause (often a JSON string from Lambda). */
  error?: { Error?: string; Cause?: string };
}

/** The audit record of one loop run: what was observed, what was decided, what happened, and why. */
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
  deployment?: Deployment;
  verification?: Verification;
  rollback?: LoopState['rollback'];
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
    case 'rejected':
      return `${candidate} rejected by the gate: ${state.evaluation?.reasons.join('; ') ?? ''}`;
    case 'promoted':
      return `${candidate} promoted and verified: ${state.verification?.reasons.join('; ') ?? ''}`;
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
    'deployment',
    'verification',
    'rollback',
  ] as const) {
    if (state[key] !== undefined) Object.assign(record, { [key]: state[key] });
  }
  if (error) record.error = error;
  return record;
}
