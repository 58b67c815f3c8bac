import { InvalidInputError } from '#contracts/errors.ts';
import type { ApprovalRequest } from './approval.ts';
import type { KpiEvidence, VerifiedKpi } from './kpi-evidence.ts';
import type { MetricName } from './metrics.ts';
import { formatIssues } from './policy.ts';
import { TimestampSchema } from './timestamp.ts';
import * as z from './zod.ts';

/** What a person, a schedule or an SDK call passes to start the improvement loop. */
export const RunInputSchema = z.strictObject({
  modelId: z
    .string()
    .check(z.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 lowercase letters, digits, "-" or "_"')),
  /** Retrain even if the policy says the model is healthy. */
  force: z._default(z.boolean(), false),
  /** Decide and record, but do not retrain or deploy. */
  dryRun: z._default(z.boolean(), false),
  /** Evaluate as of this instant (ISO-8601); defaults to the execution's start time. */
  asOf: z.optional(TimestampSchema),
});

export type RunInput = z.infer<typeof RunInputSchema>;

/** Validates an execution input, e.g. `{"modelId": "churn", "force": false}`. */
export function parseRunInput(input: unknown): RunInput {
  const result = RunInputSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidInputError(`invalid execution input: ${formatIssues(result.error).join('; ')}`);
  }
  return result.data;
}

/** The normalised run every later step receives. */
export interface RunContext {
  modelId: string;
  force: boolean;
  dryRun: boolean;
  /** The logical "now" of this run (ISO). Windows are computed from it. */
  asOf: string;
  executionName: string;
  startedAt: string;
}

/** A time window `[start, end)` as ISO timestamps. */
export interface Window {
  start: string;
  end: string;
}

/** One KPI aggregated over a window (count-weighted mean of the observations). */
export interface KpiSummary {
  metric: string;
  value: number;
  count: number;
  observations: number;
  /** Per-sample variance pooled over the window's rows, when every row carried it (`sd` or `sumSquares`). */
  variance?: number;
}

/** The freshest drift score of one feature in a window. */
export interface DriftSummary {
  feature: string;
  method: string;
  score: number;
  timestamp: string;
  /** The drift engine's verdict with its method-specific threshold; absent for externally supplied scores. */
  drifted?: boolean;
  threshold?: number;
}

/** The data-quality verdict of a window's dataset. */
export interface QualitySummary {
  passed: boolean;
  rows: number;
  /** Failed checks, one sentence each. */
  failures: string[];
  timestamp: string;
}

export interface Observed {
  window: Window;
  kpis: KpiSummary[];
  drift: DriftSummary[];
  quality?: QualitySummary;
  /**
   * Monitor's evidence per KPI metric (the window ending at the run's time only): the reference baseline, the
   * detectors' state before the history windows, and the champion's recent level. Compact summaries.
   */
  evidence?: Record<string, KpiEvidence>;
}

/** The per-model lock as Monitor found it. */
export interface LockState {
  acquired: boolean;
  owner: string;
  expiresAt: string;
}

/** The version currently serving, with the KPI values it was verified at. */
export interface Champion {
  version: number;
  artifactKey: string;
  since: string;
  /** KPI values measured after this version was deployed; the reference for relative drops. */
  baseline?: Record<string, number>;
}

export type Action = 'none' | 'watch' | 'retrain' | 'blocked';

export type RuleName =
  | 'kpi-floor'
  | 'kpi-ceiling'
  | 'kpi-relative-drop'
  | 'kpi-band'
  | 'kpi-cusum'
  | 'kpi-learning'
  | 'kpi-min-count'
  | 'drift-score'
  | 'drift-share'
  | 'persistence'
  | 'cooldown'
  | 'budget'
  | 'data-quality'
  | 'lock'
  | 'no-champion'
  | 'forced';

export type BlockedBy = 'cooldown' | 'budget' | 'data-quality' | 'lock';

/** Why a decision was made: which rule, on what, the observed value and the threshold, over which window. */
export interface Reason {
  rule: RuleName;
  /** KPI metric or drift feature the rule looked at. */
  subject?: string;
  observed?: number;
  threshold?: number;
  /** True when this reason calls for action. */
  breached: boolean;
  window?: Window;
  message: string;
}

export interface Decision {
  action: Action;
  reasons: Reason[];
  summary: string;
  /** Why a retrain that the rules call for may not happen now. */
  blockedBy?: BlockedBy;
  /** The persistence state after this window: breached windows among the last `persistence.windows`. */
  alert: { active: boolean; breachedWindows: number; windows: number };
}

/** How a version was trained: the built-in trainer, a SageMaker training job, or an external trainer. */
export type Backend = 'builtin' | 'sagemaker' | 'callback';

/** Object keys of holdout scores (CSV, header `score`, one row per holdout row) an external trainer supplied. */
export interface SuppliedScores {
  candidate: string;
  champion?: string;
}

export interface Candidate {
  version: number;
  /** Absent on versions registered before backends existed: `builtin`. */
  backend?: Backend;
  /** The model: `model.json` (built-in) or a `model.tar.gz` (SageMaker's model folder, or the external trainer's). */
  artifactKey: string;
  parentVersion: number | null;
  /** The training data: where it was read, its identity, and (built-in) an immutable copy kept with the model. */
  dataset: {
    /** The dataset key template (built-in), or the first channel's. */
    key: string;
    /** SHA-256 of the data (built-in), or of the objects' ETags and sizes in channel order (other backends). */
    sha256: string;
    rows?: number;
    snapshotKey?: string;
    /** The daily objects read, when `key` names them with `{date}`. */
    keys?: string[];
    /** SageMaker and callback backends: the objects of each channel. */
    channels?: Record<string, string[]>;
    /** The exact data the champion was trained on (same SHA-256): a retrain that cannot learn anything new. */
    sameAsChampion?: true;
  };
  /** Built-in trainer parameters. */
  params?: Record<string, number>;
  /** SageMaker hyperparameters as the job received them. */
  hyperparameters?: Record<string, string>;
  /** Built-in trainer: metrics on its own training data. */
  trainingMetrics?: Partial<Record<MetricName, number>>;
  /** The SageMaker training job. */
  job?: { name: string; arn: string };
  /** Holdout scores the external trainer supplied with its answer. */
  suppliedScores?: SuppliedScores;
}

export type ScoreSource = 'kaizen' | 'scoring-job' | 'trainer';

export interface Evaluation {
  promote: boolean;
  metric: MetricName;
  candidateScore: number;
  championScore: number | null;
  holdout: { key: string; sha256: string; rows: number; keys?: string[]; snapshotKey?: string };
  /** Set when the promotion must wait for a person (`approval` in the policy). */
  approval?: ApprovalRequest;
  /** Where each score came from: `kaizen` (in-process), `scoring-job`, or `trainer` (the callback's answer). */
  scoredBy?: { candidate: ScoreSource; champion?: ScoreSource };
  reasons: string[];
}

export interface Deployment {
  version: number;
  previousVersion: number | null;
  deployedAt: string;
  bakeSeconds: number;
}

export type Verdict = 'pending' | 'pass' | 'fail';

export interface Verification {
  checks: number;
  verdict: Verdict;
  reasons: string[];
  window?: Window;
  after?: KpiSummary[];
  /** The sequential test of each KPI at this check: the change against the pre-deploy level and its bounds. */
  kpis?: VerifiedKpi[];
}

export type Outcome =
  | 'no-action'
  | 'watch'
  | 'blocked'
  | 'dry-run'
  | 'rejected'
  | 'promoted'
  | 'rolled-back'
  | 'failed'
  /** Not a loop run: a person released the model's lock (`kaizen unlock`), recorded for the audit trail. */
  | 'unlocked';

/**
 * The outcome of checking one model outside a loop run (sweep or event): the decision, and whether a loop was
 * started; `error` when the check itself failed (a bad dataset, a timeout): recorded for that model while the
 * others are checked.
 */
export interface ModelCheck {
  modelId: string;
  asOf: string;
  action: Action | 'error';
  summary: string;
  /** Only for `retrain`: `started`, or `duplicate` when this window's loop was already started. */
  start?: 'started' | 'duplicate';
  execution?: string;
}
