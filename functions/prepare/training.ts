import { createHash } from 'node:crypto';
import { datedKeys } from '#domain/dated-keys.ts';
import { durationSeconds } from '#domain/duration.ts';
import { runPrefix, sageMakerJobName } from '#domain/names.ts';
import type { CallbackTraining, ModelPolicy, SageMakerTraining } from '#domain/policy.ts';
import type { Candidate, Champion, RunContext } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { putJson } from '#stores/artifacts.ts';
import { headObject, s3Uri } from '#stores/objects.ts';

/** The training data of one run: every object of every channel, checked to exist, and their identity. */
export type TrainingData = Candidate['dataset'] & { channels: Record<string, string[]> };

/**
 * Resolves each channel's objects for the run (with `{date}`, every day of the training window before `asOf`),
 * heads each (a missing one fails the run naming it) and fingerprints them: SHA-256 over each object's ETag
 * and size in channel order, so the same bytes under new keys are recognised as the same data.
 */
export async function resolveChannels(
  ctx: KaizenContext,
  training: SageMakerTraining | CallbackTraining,
  policy: ModelPolicy,
  run: RunContext,
): Promise<TrainingData> {
  const seconds = durationSeconds(training.window ?? policy.window);
  const channels: Record<string, string[]> = {};
  const fingerprint = createHash('sha256');
  for (const [name, template] of Object.entries(training.channels)) {
    const keys = datedKeys(template, run.asOf, seconds);
    channels[name] = keys;
    for (const key of keys) {
      const info = await headObject(ctx, key, `training channel "${name}" (${template})`);
      fingerprint.update(`${name}\t${info.etag}\t${info.size}\n`);
    }
  }
  const [first] = Object.entries(training.channels);
  return { key: first?.[1] ?? '', sha256: fingerprint.digest('hex'), channels };
}

/** SageMaker's script-mode hyperparameters: the two `sagemaker_*` ones, then the policy's, JSON-encoded as its SDK does. */
export function scriptModeHyperparameters(
  ctx: KaizenContext,
  training: SageMakerTraining,
): Record<string, string> {
  const encoded = Object.fromEntries(
    Object.entries(training.hyperparameters).map(([name, value]) => [name, JSON.stringify(value)]),
  );
  return {
    sagemaker_program: training.entryPoint,
    sagemaker_submit_directory: s3Uri(ctx, training.sourceDir),
    ...encoded,
  };
}

/** A CreateTrainingJob request (without `RoleArn`, which the state machine adds from the app). */
export interface TrainingJobRequest {
  TrainingJobName: string;
  AlgorithmSpecification: { TrainingImage: string; TrainingInputMode: 'File' };
  HyperParameters: Record<string, string>;
  InputDataConfig: {
    ChannelName: string;
    DataSource: {
      S3DataSource: { S3DataType: 'ManifestFile'; S3Uri: string; S3DataDistributionType: 'FullyReplicated' };
    };
  }[];
  OutputDataConfig: { S3OutputPath: string };
  ResourceConfig: { InstanceType: string; InstanceCount: number; VolumeSizeInGB: number };
  StoppingCondition: { MaxRuntimeInSeconds: number };
}

/**
 * Builds the SageMaker training job of the run: each channel's exact objects in a manifest file (SageMaker's
 * `[{"prefix": ...}, key, ...]`), so a prefix never picks up a neighbour; the model goes under the run's prefix.
 */
export async function trainingJob(
  ctx: KaizenContext,
  training: SageMakerTraining,
  data: TrainingData,
  run: RunContext,
): Promise<TrainingJobRequest> {
  await headObject(ctx, training.sourceDir, 'training.sourceDir');
  const prefix = runPrefix(run);
  const inputs: TrainingJobRequest['InputDataConfig'] = [];
  for (const [channel, keys] of Object.entries(data.channels)) {
    const manifestKey = `${prefix}/manifests/${channel}.json`;
    await putJson(ctx, manifestKey, [{ prefix: `s3://${ctx.config.bucket}/` }, ...keys]);
    inputs.push({
      ChannelName: channel,
      DataSource: {
        S3DataSource: {
          S3DataType: 'ManifestFile',
          S3Uri: s3Uri(ctx, manifestKey),
          S3DataDistributionType: 'FullyReplicated',
        },
      },
    });
  }
  return {
    TrainingJobName: sageMakerJobName('train', run.modelId, `${ctx.config.bucket}/${run.executionName}`),
    AlgorithmSpecification: { TrainingImage: training.image, TrainingInputMode: 'File' },
    HyperParameters: scriptModeHyperparameters(ctx, training),
    InputDataConfig: inputs,
    OutputDataConfig: { S3OutputPath: s3Uri(ctx, prefix) },
    ResourceConfig: {
      InstanceType: training.instanceType,
      InstanceCount: training.instanceCount,
      VolumeSizeInGB: training.volumeSizeGb,
    },
    StoppingCondition: { MaxRuntimeInSeconds: durationSeconds(training.maxRuntime) },
  };
}

/** What an external trainer receives (the request step adds the task token). */
export interface TrainingRequest {
  modelId: string;
  executionName: string;
  asOf: string;
  /** The objects of each channel, as `s3://` URIs. */
  channels: Record<string, string[]>;
  /** The holdout the answer's scores must cover, in this order (when Kaizen does not score the models itself). */
  holdout: string[];
  champion: { version: number; artifact: string } | null;
  /** Where to write the model: a folder of its own for this run. */
  outputPrefix: string;
  parameters: CallbackTraining['parameters'];
  timeoutSeconds: number;
  heartbeatSeconds: number;
  /** How to answer, for people reading the event. */
  answer: string;
}

/** Builds the callback request of the run. */
export function trainingRequest(
  ctx: KaizenContext,
  training: CallbackTraining,
  policy: ModelPolicy,
  data: TrainingData,
  run: RunContext,
  champion: Champion | null,
): TrainingRequest {
  const timeoutSeconds = durationSeconds(training.timeout);
  const holdout = datedKeys(
    policy.evaluation.holdout,
    run.asOf,
    durationSeconds(policy.evaluation.window ?? policy.window),
  );
  return {
    modelId: run.modelId,
    executionName: run.executionName,
    asOf: run.asOf,
    channels: Object.fromEntries(
      Object.entries(data.channels).map(([name, keys]) => [name, keys.map((key) => s3Uri(ctx, key))]),
    ),
    holdout: holdout.map((key) => s3Uri(ctx, key)),
    champion: champion ? { version: champion.version, artifact: s3Uri(ctx, champion.artifactKey) } : null,
    outputPrefix: s3Uri(ctx, `${runPrefix(run)}/`),
    parameters: training.parameters,
    timeoutSeconds,
    // Without a heartbeat rule the heartbeat is as long as the task may take (Step Functions wants it shorter).
    heartbeatSeconds: training.heartbeat
      ? durationSeconds(training.heartbeat)
      : Math.max(1, timeoutSeconds - 1),
    answer:
      'SendTaskSuccess with output {"artifactKey": "<key or s3:// URI of model.tar.gz>", "scores": {"candidate": "<key of a CSV with a score column, one row per holdout row>", "champion": "<same for the champion>"}} (scores only when the policy has no evaluation.entryPoint), or SendTaskFailure',
  };
}
