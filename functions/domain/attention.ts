import type { RunRecord } from './record.ts';
import type { BlockedBy, ModelCheck } from './run.ts';

/** Where a model stands, from the newest of its last run and last check, its lock and a pending approval. */
export type ModelState =
  | 'healthy'
  | 'watch'
  | 'retrain-pending'
  | 'blocked'
  | 'awaiting-approval'
  | 'running'
  | 'failed'
  | 'rejected'
  | 'rolled-back'
  | 'unchecked';

/** Every state, healthiest first: the order `kaizen status` and the report sort by (worst last). */
export const MODEL_STATES: readonly ModelState[] = [
  'healthy',
  'watch',
  'running',
  'retrain-pending',
  'awaiting-approval',
  'unchecked',
  'rejected',
  'rolled-back',
  'blocked',
  'failed',
];

/** What the attention function reads about one model (plain data from the stores). */
export interface AttentionInput {
  modelId: string;
  /** The wall-clock time of the question: a lock that expired before it is no longer held. */
  now: string;
  champion: { version: number; since: string } | null;
  /** The newest run record that is a loop run (`unlocked` records are skipped by the caller or here). */
  lastRun?: Pick<
    RunRecord,
    'outcome' | 'summary' | 'finishedAt' | 'executionName' | 'decision' | 'error' | 'championAfter'
  > | null;
  /** The newest sweep or event check. */
  lastCheck?: (Pick<ModelCheck, 'action' | 'summary' | 'start' | 'execution'> & { checkedAt: string }) | null;
  lock?: { owner: string; expiresAt: string } | null;
  /** A promotion waiting for a person. */
  approval?: { executionName: string; requestedAt: string; deadline: string; candidate?: number } | null;
}

/** A model's state, why, and the next step for a person (one line each). */
export interface Attention {
  modelId: string;
  state: ModelState;
  /** False for every state but `healthy`: the sweep and `status` name these. */
  needsAttention: boolean;
  /** What the state rests on: a sentence from the run, the check, the lock or the approval. */
  why: string;
  /** What to do next (commands in backticks). */
  next: string;
  /** When the evidence for the state was recorded (the run's end, the check, the lock or the request). */
  at: string | null;
}

/** Longest `why` kept: a status line must stay readable; `kaizen history` has the rest. */
export const MAX_WHY = 240;

const BLOCKERS: readonly BlockedBy[] = ['cooldown', 'budget', 'data-quality', 'lock'];

/** The next step for each blocker; `force` skips every block but the lock. */
function nextForBlock(blockedBy: BlockedBy | undefined, modelId: string): string {
  const force = `\`kaizen run --model ${modelId} --force\``;
  switch (blockedBy) {
    case 'data-quality':
      return `fix the data or ${force}`;
    case 'cooldown':
      return `wait for the cooldown to end, or ${force}`;
    case 'budget':
      return `wait for the budget period, raise budget.maxRetrains in the policy, or ${force}`;
    case 'lock':
      return `wait for the run that holds the lock; if it is gone: \`kaizen unlock --model ${modelId}\``;
    default:
      return `see \`kaizen history --model ${modelId}\`, or ${force}`;
  }
}

/**
 * A blocked decision's summary is `blocked (<blocker>): <why>; wanted to retrain: <breaches>` (Analyze): the
 * blocker and its reason, so a check (which keeps only the summary) says as much as a run record.
 */
export function parseBlockedSummary(summary: string): { blockedBy?: BlockedBy; why: string } {
  const match = /^blocked \(([a-z-]+)\): (.*?)(?:; wanted to retrain: .*)?$/s.exec(summary);
  if (!match) return { why: summary.replace(/^blocked:?\s*/, '') };
  const blockedBy = BLOCKERS.find((b) => b === match[1]);
  return blockedBy ? { blockedBy, why: match[2] ?? '' } : { why: match[2] ?? summary };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_WHY ? `${flat.slice(0, MAX_WHY - 1)}…` : flat;
}

const stripAction = (summary: string) => summary.replace(/^(watch|retrain|healthy): /, '');

/**
 * The state of one model and what a person should do next. Precedence: a promotion waiting for approval, then a
 * live lock (a run in flight), then the newer of the last run and the last check. Pure: the CLI's `status`, the
 * sweep's summary and the report all call it.
 */
export function attention(input: AttentionInput): Attention {
  const { modelId } = input;
  const make = (state: ModelState, why: string, next: string, at: string | null): Attention => ({
    modelId,
    state,
    needsAttention: state !== 'healthy',
    why: clip(why),
    next,
    at,
  });
  const history = `\`kaizen history --model ${modelId}\``;

  if (input.approval) {
    const { approval } = input;
    const candidate = approval.candidate === undefined ? 'a candidate' : `v${approval.candidate}`;
    return make(
      'awaiting-approval',
      `${candidate} waits for approval since ${approval.requestedAt} (no answer by ${approval.deadline} rejects it)`,
      `\`kaizen approve --model ${modelId}\` or \`kaizen reject --model ${modelId} --reason <why>\``,
      approval.requestedAt,
    );
  }
  if (input.lock && input.lock.expiresAt > input.now) {
    return make(
      'running',
      `a run holds the lock: ${input.lock.owner} until ${input.lock.expiresAt}`,
      `wait for it (${history}); if that run is gone: \`kaizen unlock --model ${modelId}\``,
      null,
    );
  }

  const run = input.lastRun && input.lastRun.outcome !== 'unlocked' ? input.lastRun : null;
  const check = input.lastCheck ?? null;
  // The newer evidence wins; a check made while a run was in flight is older than that run's end.
  const useCheck = check !== null && (run === null || check.checkedAt > run.finishedAt);

  if (useCheck && check) {
    const at = check.checkedAt;
    switch (check.action) {
      case 'none':
        return make('healthy', stripAction(check.summary), 'nothing to do', at);
      case 'watch':
        return make(
          'watch',
          stripAction(check.summary),
          'nothing yet: a retrain starts if the breach persists',
          at,
        );
      case 'retrain': {
        const started = check.execution ? ` (${check.execution})` : '';
        const next =
          check.start === 'duplicate'
            ? `a loop was already started for this window${started}; follow it with ${history}`
            : check.start === 'started'
              ? `a loop was started${started}; follow it with ${history}`
              : `\`kaizen run --model ${modelId}\``;
        return make('retrain-pending', stripAction(check.summary), next, at);
      }
      case 'blocked': {
        const { blockedBy, why } = parseBlockedSummary(check.summary);
        return make('blocked', blockerLabel(blockedBy, why), nextForBlock(blockedBy, modelId), at);
      }
      case 'error':
        return make(
          'failed',
          `the check failed: ${check.summary}`,
          `fix the cause, then \`kaizen run --model ${modelId}\``,
          at,
        );
    }
  }
  if (!run) {
    return make(
      'unchecked',
      'no run or check recorded recently',
      `\`kaizen run --model ${modelId}\`, or wait for the scheduled sweep`,
      null,
    );
  }
  const at = run.finishedAt;
  switch (run.outcome) {
    case 'no-action':
    case 'promoted':
      return make('healthy', stripAction(run.summary), 'nothing to do', at);
    case 'watch':
      return make(
        'watch',
        stripAction(run.summary),
        'nothing yet: a retrain starts if the breach persists',
        at,
      );
    case 'dry-run':
      return make(
        'retrain-pending',
        run.summary.replace(/^dry run, (retrain: )?/, ''),
        `the last run was a dry run: \`kaizen run --model ${modelId}\` retrains`,
        at,
      );
    case 'blocked': {
      const blockedBy = run.decision?.blockedBy;
      const reason = run.decision?.reasons.find((r) => r.rule === blockedBy);
      const why = reason?.message ?? parseBlockedSummary(run.summary).why;
      return make('blocked', blockerLabel(blockedBy, why), nextForBlock(blockedBy, modelId), at);
    }
    case 'failed': {
      const why = run.error ? `${run.error.name}: ${run.error.message}` : run.summary;
      return make('failed', why, `fix the cause (${history}), then \`kaizen run --model ${modelId}\``, at);
    }
    case 'rejected':
      return make(
        'rejected',
        run.summary,
        `the champion keeps serving and the next check decides again; look at the training data (\`kaizen versions --model ${modelId}\`)`,
        at,
      );
    case 'rolled-back':
      return make(
        'rolled-back',
        run.summary,
        `${run.championAfter === null ? 'no version' : `v${run.championAfter}`} serves again and the next check decides again; see what the candidate changed (${history})`,
        at,
      );
    default:
      return make('unchecked', run.summary, history, at);
  }
}

/** `data quality: 5.5% of merchant_risk out of range`: the blocker named once, then its reason. */
function blockerLabel(blockedBy: BlockedBy | undefined, why: string): string {
  if (blockedBy === 'data-quality') return `data quality: ${why.replace(/^data quality failed: /, '')}`;
  if (blockedBy === 'cooldown') return why; // "cooldown: v2 deployed ..., settling until ..."
  if (blockedBy === 'lock') return `lock: ${why}`;
  return why;
}

/** `healthy` -> `healthy`, `retrain-pending` -> `retrain pending`. */
export function stateLabel(state: ModelState): string {
  return state.replace('-', ' ');
}

/** The one line a person reads: `churn: blocked, data quality: ...; fix the data or ...`. */
export function attentionLine(item: Attention): string {
  return `${item.modelId}: ${stateLabel(item.state)}, ${item.why}; ${item.next}`;
}

/** Models sorted worst state first, then by id: the order in which they need someone. */
export function byUrgency<T extends Attention>(items: readonly T[]): T[] {
  const rank = (state: ModelState) => MODEL_STATES.indexOf(state);
  return [...items].sort((a, b) => rank(b.state) - rank(a.state) || a.modelId.localeCompare(b.modelId));
}
