import type { ModelPolicy } from '#domain/policy.ts';
import type { Candidate, Champion, RunContext } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
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
 * Processing job per model that only the team's scoring script can run.
 */
export async function prepare(
  ctx: KaizenContext,
  event: PrepareEvent,
): Promise<PreparedTraining | ScoringPlan> {
  const { run, policy, champion } = event;
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
