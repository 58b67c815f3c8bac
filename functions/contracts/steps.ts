/**
 * The step registry: one record per Lambda function of Kaizen Loop. The CDK app builds each function,
 * its grants and its state-machine substitution from here; the local engine maps the same placeholder to
 * the same handler module; the workflow builder names Task resources from it; tests iterate over it.
 * Adding a step is one record here, its folder in `functions/<step>/` and its state in the builder.
 *
 * Pure data: no AWS SDK, no handler code (the CDK app imports it at synth time).
 */

/** What a function may do with one table or the bucket. */
export type Access = 'read' | 'readWrite';

/** The stores and actions one function may use; anything not listed is denied. */
export interface StepAccess {
  readonly metrics?: Access;
  readonly registry?: Access;
  readonly runs?: Access;
  readonly bucket?: Access;
  /** `start`: may start executions of the improvement loop (and gets its ARN in the environment). */
  readonly loop?: 'start';
  /** `publish`: may put events on the stack's event bus (and gets its name in the environment). */
  readonly events?: 'publish';
  /**
   * `move`: may read, write and delete objects under the drop folder `ingest/` only (ingest, report, move to
   * `ingest/done/` or `ingest/failed/`).
   */
  readonly dropFolder?: 'move';
  /** `getMetricData`: may read CloudWatch metric data (a KPI's CloudWatch source). */
  readonly cloudwatch?: 'getMetricData';
}

/** The two workflows; `null` for a function started by an event source instead. */
export type Workflow = 'improvement-loop' | 'fleet-sweep';

/**
 * How a function is called: `lambda` is a Task whose Resource is the function's ARN (placeholder
 * `${<Step>FunctionArn}`); `callback` is a `lambda:invoke.waitForTaskToken` Task whose `FunctionName` is
 * that placeholder (the task waits for SendTaskSuccess). The others are called by no workflow: `stream` by the
 * DynamoDB Streams mapping, `event` by S3 notifications and EventBridge rules, `api` by API Gateway (Lambda
 * proxy integration), `schedule` by an EventBridge Scheduler schedule.
 */
export type Invocation = 'lambda' | 'callback' | 'stream' | 'event' | 'api' | 'schedule';

export interface StepSpec {
  /** Handler module (exports `handler`), relative to the project root. */
  readonly entry: string;
  /** Function description. */
  readonly description: string;
  /** Default memory (MB); CDK context `kaizen:memory:<step>` overrides it. */
  readonly memoryMb: number;
  /** Default timeout (s); CDK context `kaizen:timeout:<step>` overrides it. */
  readonly timeoutSeconds: number;
  /** `/tmp` size (MB) when more than Lambda's 512: CSV and JSON Lines datasets wait there, column by column. */
  readonly tmpMb?: number;
  readonly access: StepAccess;
  /** The workflow whose Task states call it. */
  readonly workflow: Workflow | null;
  readonly invocation: Invocation;
}

/**
 * Every function. Memory: 1,769 MB is one full vCPU; Monitor and the sweep may compute drift over datasets
 * (read one feature at a time, 1M x 50 peaks at ~0.5 GB; a sweep page admits such reads by memory). Timeouts: training and evaluation fit and score models, a sweep page checks up
 * to a thousand models, a stream batch up to a hundred; the rest are a few reads and writes.
 */
export const FUNCTIONS = {
  monitor: {
    entry: 'functions/monitor/handler.ts',
    description: 'Kaizen Loop monitor step',
    memoryMb: 1769,
    timeoutSeconds: 30,
    tmpMb: 4096,
    // Monitor takes the per-model lock (a registry item) that Record releases, reads the window's dataset and
    // the reference from the bucket and writes the drift and quality rows it computes to the metrics table.
    access: { metrics: 'readWrite', registry: 'readWrite', bucket: 'read' },
    workflow: 'improvement-loop',
    invocation: 'lambda',
  },
  analyze: {
    entry: 'functions/analyze/handler.ts',
    description: 'Kaizen Loop analyze step',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: {},
    workflow: 'improvement-loop',
    invocation: 'lambda',
  },
  train: {
    entry: 'functions/train/handler.ts',
    description: 'Kaizen Loop train step',
    memoryMb: 1769,
    timeoutSeconds: 300,
    access: { bucket: 'readWrite', registry: 'readWrite' },
    workflow: 'improvement-loop',
    invocation: 'lambda',
  },
  prepare: {
    entry: 'functions/prepare/handler.ts',
    description: 'Kaizen Loop prepare step: SageMaker job requests, callback requests, the holdout snapshot',
    memoryMb: 1024,
    timeoutSeconds: 120,
    // Checks the training objects exist and writes channel manifests and the holdout snapshot under models/.
    access: { bucket: 'readWrite' },
    workflow: 'improvement-loop',
    invocation: 'lambda',
  },
  request: {
    entry: 'functions/request/handler.ts',
    description: 'Kaizen Loop request step: asks an external trainer to train, or a person to approve',
    memoryMb: 256,
    timeoutSeconds: 30,
    // Records the pending task (its token) in the runs table and publishes the request on the event bus.
    access: { runs: 'readWrite', events: 'publish' },
    workflow: 'improvement-loop',
    invocation: 'callback',
  },
  register: {
    entry: 'functions/register/handler.ts',
    description: 'Kaizen Loop register step: registers a model trained by SageMaker or an external trainer',
    memoryMb: 256,
    timeoutSeconds: 30,
    // Checks the artifact (and answered score files) exist, reads and closes the pending task, registers the version.
    access: { bucket: 'read', registry: 'readWrite', runs: 'readWrite' },
    workflow: 'improvement-loop',
    invocation: 'lambda',
  },
  evaluate: {
    entry: 'functions/evaluate/handler.ts',
    description: 'Kaizen Loop evaluate step',
    memoryMb: 1024,
    timeoutSeconds: 300,
    // Scores the candidate and the champion from their artifact keys in the state: no registry read.
    access: { bucket: 'read' },
    workflow: 'improvement-loop',
    invocation: 'lambda',
  },
  deploy: {
    entry: 'functions/deploy/handler.ts',
    description: 'Kaizen Loop deploy step',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { registry: 'readWrite' },
    workflow: 'improvement-loop',
    invocation: 'lambda',
  },
  verify: {
    entry: 'functions/verify/handler.ts',
    description: 'Kaizen Loop verify step',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { metrics: 'read' },
    workflow: 'improvement-loop',
    invocation: 'lambda',
  },
  rollback: {
    entry: 'functions/rollback/handler.ts',
    description: 'Kaizen Loop rollback step',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { registry: 'readWrite' },
    workflow: 'improvement-loop',
    invocation: 'lambda',
  },
  record: {
    entry: 'functions/record/handler.ts',
    description: 'Kaizen Loop record step',
    memoryMb: 256,
    timeoutSeconds: 30,
    // Writes the run record, settles the registry (version status, baseline, lock), writes the candidate's model
    // card beside its artifact and publishes the outcome event.
    access: { runs: 'readWrite', registry: 'readWrite', bucket: 'readWrite', events: 'publish' },
    workflow: 'improvement-loop',
    invocation: 'lambda',
  },
  sweep: {
    entry: 'functions/sweep/handler.ts',
    description: 'Kaizen Loop sweep step',
    memoryMb: 1769,
    timeoutSeconds: 300,
    tmpMb: 4096,
    // Sweep and trigger check models as Monitor does (datasets read, drift rows written) and record their
    // checks and start markers in the runs table.
    access: { metrics: 'readWrite', registry: 'read', runs: 'readWrite', bucket: 'read', loop: 'start' },
    workflow: 'fleet-sweep',
    invocation: 'lambda',
  },
  trigger: {
    entry: 'functions/trigger/handler.ts',
    description: 'Kaizen Loop trigger: checks models on new KPI and drift records',
    memoryMb: 512,
    timeoutSeconds: 60,
    access: { metrics: 'readWrite', registry: 'read', runs: 'readWrite', bucket: 'read', loop: 'start' },
    workflow: null,
    invocation: 'stream',
  },
  ingest: {
    entry: 'functions/ingest/handler.ts',
    description:
      'Kaizen Loop ingest: observation files dropped under ingest/, Kaizen Observation events, dataset arrivals',
    memoryMb: 512,
    // A dropped file is streamed: its size bounds the time, not the memory.
    timeoutSeconds: 900,
    // Reads policies, stores rows once (conditional puts), moves the file within ingest/, publishes rejections;
    // reads the subscriptions to a new window dataset and writes its arrival rows.
    access: { metrics: 'readWrite', registry: 'read', dropFolder: 'move', events: 'publish' },
    workflow: null,
    invocation: 'event',
  },
  api: {
    entry: 'functions/api/handler.ts',
    description: 'Kaizen Loop api: POST /observations and GET /models/{id}/status behind API Gateway',
    memoryMb: 512,
    // API Gateway waits 29 s for an integration.
    timeoutSeconds: 29,
    // Stores rows once (conditional puts); reads policies, champion and lock, and the last run record.
    access: { metrics: 'readWrite', registry: 'read', runs: 'read' },
    workflow: null,
    invocation: 'api',
  },
  pull: {
    entry: 'functions/pull/handler.ts',
    description:
      'Kaizen Loop pull: KPIs kept as CloudWatch metrics, read per window and stored as observations',
    memoryMb: 256,
    timeoutSeconds: 300,
    // Lists the models, reads their CloudWatch sources (GetMetricData) and stores rows once (conditional puts).
    access: { metrics: 'readWrite', registry: 'read', cloudwatch: 'getMetricData' },
    workflow: null,
    invocation: 'schedule',
  },
} as const satisfies Record<string, StepSpec>;

/** Every Lambda function of the app: the workflow steps, the DynamoDB Streams trigger and the ingestion paths. */
export type FunctionName = keyof typeof FUNCTIONS;

type StepOf<W extends Workflow> = {
  [K in FunctionName]: (typeof FUNCTIONS)[K]['workflow'] extends W ? K : never;
}[FunctionName];
/** Steps of the improvement loop. */
export type LoopStep = StepOf<'improvement-loop'>;
/** Steps of the fleet sweep. */
export type SweepStep = StepOf<'fleet-sweep'>;
/** Functions that a workflow's Task states call. */
export type StepName = LoopStep | SweepStep;

const NAMES = Object.keys(FUNCTIONS) as FunctionName[];

/** The functions a workflow calls, in registry order. */
export function stepsOf<W extends Workflow>(workflow: W): StepOf<W>[] {
  return NAMES.filter((name) => FUNCTIONS[name].workflow === workflow) as StepOf<W>[];
}

export const LOOP_STEPS: readonly LoopStep[] = stepsOf('improvement-loop');
export const SWEEP_STEPS: readonly SweepStep[] = stepsOf('fleet-sweep');

/** `monitor` -> `Monitor`: construct ids and placeholder names from step names. */
export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The workflow steps with the placeholder their Task states use for the function ARN. */
export const STEPS = Object.fromEntries(
  NAMES.filter((name) => FUNCTIONS[name].workflow !== null).map((name) => [
    name,
    { ...FUNCTIONS[name], placeholder: `${pascal(name)}FunctionArn` },
  ]),
) as { readonly [K in StepName]: (typeof FUNCTIONS)[K] & { readonly placeholder: string } };
