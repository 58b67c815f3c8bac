import type { ModelPolicy } from '#domain/policy.ts';
import type { Candidate, Champion, RunContext } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import {
  type FunctionConfiguration,
  type HostingPlan,
  hostingPlan,
  lambdaPlan,
  nextStage,
  type TrafficStage,
} from './deploy.ts';
import { planScoring, type ScoringPlan } from './scoring.ts';
import {
  resolveChannels,
  type TrainingData,
  type TrainingJobRequest,
  type TrainingRequest,
  trainingJob,
  trainingRequest,
} from './training.ts';

export type PrepareEvent =
  | { phase: 'training'; run: RunContext; policy: ModelPolicy; champion: Champion | null }
  | {
      phase: 'scoring';
      run: RunContext;
      policy: ModelPolicy;
      champion: Champion | null;
      candidate: Candidate;
    }
  | { phase: 'hosting'; run: RunContext; policy: ModelPolicy; candidate: Candidate }
  | {
      phase: 'lambda';
      run: RunContext;
      policy: ModelPolicy;
      candidate: Candidate;
      lambda: { before: FunctionConfiguration };
    }
  | {
      phase: 'stage';
      policy: ModelPolicy;
      lambda: { alias: { version: string }; published: { version: string } };
      stage?: { index: number };
    };

/** What the training phase leaves in `$.prepared`: the job or the request, and the data's lineage. */
export interface PreparedTraining {
  dataset: TrainingData;
  job?: TrainingJobRequest;
  request?: TrainingRequest;
  /** For the callback Task's TimeoutSecondsPath and HeartbeatSecondsPath. */
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

/**
 * Prepares the work Step Functions hands to other services. `training`: the SageMaker training job (channel
 * manifests written) or the external trainer's request. `scoring`: the holdout snapshot and a SageMaker
 * Processing job per model that only the team's scoring script can run. `hosting`: the SageMaker Model,
 * EndpointConfig and endpoint update of the candidate. `lambda`: the team's function's new environment.
 * `stage`: the alias routing of the next traffic stage.
 */
export async function prepare(
  ctx: KaizenContext,
  event: PrepareEvent,
): Promise<PreparedTraining | ScoringPlan | HostingPlan | ReturnType<typeof lambdaPlan> | TrafficStage> {
  if (event.phase === 'stage') {
    const { alias, published } = event.lambda;
    return nextStage(event.policy, { serving: alias.version, candidate: published.version }, event.stage);
  }
  const { run, policy } = event;
  const target = policy.deployment;
  if (event.phase === 'hosting' && target.target === 'sagemaker-endpoint') {
    return hostingPlan(ctx, target, run, event.candidate);
  }
  if (event.phase === 'lambda' && target.target === 'lambda-alias') {
    return lambdaPlan(ctx, target, run, event.candidate, event.lambda.before);
  }
  if (event.phase === 'hosting' || event.phase === 'lambda') {
    throw new Error(`the ${event.phase} phase does not apply to the ${target.target} deployment target`);
  }
  const { champion } = event;
  if (event.phase === 'scoring') return planScoring(ctx, policy, run, event.candidate, champion);
  const { training } = policy;
  if (training.backend === 'builtin') {
    throw new Error('the built-in trainer needs no preparation: the workflow routes it to the train step');
  }
  const dataset = await resolveChannels(ctx, training, policy, run);
  if (training.backend === 'sagemaker')
    return { dataset, job: await trainingJob(ctx, training, dataset, run) };
  const request = trainingRequest(ctx, training, policy, dataset, run, champion);
  return {
    dataset,
    request,
    timeoutSeconds: request.timeoutSeconds,
    heartbeatSeconds: request.heartbeatSeconds,
  };
}
