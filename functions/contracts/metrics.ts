/**
 * The catalogue of Kaizen Loop's own CloudWatch metrics: every name, unit and dimension the steps publish
 * (Powertools EMF) and the dashboard and alarms read, so the two cannot drift apart. Pure data.
 *
 * Every metric also carries Powertools' `service` dimension (`POWERTOOLS_SERVICE_NAME`), in the namespace
 * `POWERTOOLS_METRICS_NAMESPACE` of `BASE_ENVIRONMENT`. Each distinct set of dimension values is one custom
 * metric billed by the hour it receives data, so a per-model dimension appears only on `ModelRuns`, which a
 * model emits once per loop run (a few hours a month), never on the hourly sweep's figures.
 */
import { BASE_ENVIRONMENT } from './env.ts';

/** The CloudWatch namespace of every Kaizen Loop metric. */
export const METRICS_NAMESPACE = BASE_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE as string;

/** The `service` dimension Powertools adds to every metric. */
export const METRICS_SERVICE = BASE_ENVIRONMENT.POWERTOOLS_SERVICE_NAME as string;

/** The CloudWatch units used (the values of Powertools' `MetricUnit`). */
export type MetricUnitName = 'Count' | 'Seconds' | 'None';

/** One metric of the catalogue. */
export interface MetricSpec {
  readonly unit: MetricUnitName;
  /** Dimensions beside `service`, in the order they are added. */
  readonly dimensions: readonly string[];
  /** The step (function) that publishes it. */
  readonly publishedBy: readonly string[];
}

/** Every metric Kaizen Loop publishes, by name. */
export const METRICS = {
  Runs: {
    unit: 'Count',
    dimensions: ['outcome'],
    publishedBy: ['record'],
  },
  ModelRuns: {
    unit: 'Count',
    dimensions: ['model', 'outcome'],
    publishedBy: ['record'],
  },
  Decisions: {
    unit: 'Count',
    dimensions: ['action'],
    publishedBy: ['analyze'],
  },
  CandidatesTrained: {
    unit: 'Count',
    dimensions: [],
    publishedBy: ['train', 'register'],
  },
  Deployments: {
    unit: 'Count',
    dimensions: [],
    publishedBy: ['deploy'],
  },
  Rollbacks: {
    unit: 'Count',
    dimensions: [],
    publishedBy: ['rollback'],
  },
  ModelsChecked: {
    unit: 'Count',
    dimensions: ['source'],
    publishedBy: ['sweep', 'trigger'],
  },
  LoopsStarted: {
    unit: 'Count',
    dimensions: ['source'],
    publishedBy: ['sweep', 'trigger'],
  },
  ModelsBlocked: {
    unit: 'Count',
    dimensions: ['source'],
    publishedBy: ['sweep', 'trigger'],
  },
  CheckErrors: {
    unit: 'Count',
    dimensions: ['source'],
    publishedBy: ['sweep', 'trigger'],
  },
  SweepDuration: {
    unit: 'Seconds',
    dimensions: [],
    publishedBy: ['sweep'],
  },
  ObservationsStored: {
    unit: 'Count',
    dimensions: ['path'],
    publishedBy: ['ingest', 'pull'],
  },
  ObservationsRejected: {
    unit: 'Count',
    dimensions: ['path'],
    publishedBy: ['ingest', 'pull'],
  },
  DeployValue: {
    unit: 'None',
    dimensions: ['currency'],
    publishedBy: ['record'],
  },
} as const satisfies Record<string, MetricSpec>;

export type KaizenMetric = keyof typeof METRICS;

/** What one data point of each metric means (the README's table); apart, so Lambda bundles leave it out. */
export const METRIC_DESCRIPTIONS: Record<KaizenMetric, string> = {
  Runs: 'one improvement-loop run ended, by outcome: promoted, rejected, rolled-back, failed, blocked, watch, no-action, dry-run',
  ModelRuns:
    'the same, per model: once per run, so cheap; the dashboard lists blocked and failed models from it',
  Decisions: "the policy's decision in a loop run: none, watch, retrain, blocked",
  CandidatesTrained:
    'a retrain produced a candidate version (built-in trainer, SageMaker or external trainer)',
  Deployments: 'the champion alias moved to a candidate',
  Rollbacks: 'the champion alias moved back (a failed verification, or the undo of a failed deploy)',
  ModelsChecked: 'models checked against their policy outside a loop run; source: sweep or trigger',
  LoopsStarted: 'improvement loops started by those checks (a duplicate start of the same window is not one)',
  ModelsBlocked: 'checked models whose retrain is blocked (cooldown, budget, data quality, lock)',
  CheckErrors: 'models whose check itself failed (recorded with the error; the others were checked)',
  SweepDuration:
    'seconds from the start of a sweep execution to its last page (an Express execution may last 300)',
  ObservationsStored:
    'KPI and drift rows stored by a way in for observations; path: drop (the S3 drop folder), event (EventBridge), pull (CloudWatch)',
  ObservationsRejected: 'rows those paths rejected (invalid, or a conflicting value for a stored key)',
  DeployValue:
    "a verified promotion's value over its verification, in the policy's currency: Σ (KPI change × count since the deploy × value.perUnit) of the KPIs with a `value`",
};

/** Values of the `path` dimension of the observation metrics. */
export type ObservationPath = 'drop' | 'event' | 'pull';

/** Values of the `source` dimension. */
export type CheckSource = 'sweep' | 'trigger';
