import { basename } from 'node:path';
import { concatenateCsv, parseNumericTable } from '#datasets/index.ts';
import { datedKeys } from '#domain/dated-keys.ts';
import { durationSeconds } from '#domain/duration.ts';
import { runPrefix, sageMakerJobName } from '#domain/names.ts';
import { evaluationLabel, type ModelPolicy } from '#domain/policy.ts';
import type { Candidate, Champion, Evaluation, RunContext } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getText, putText, sha256 } from '#stores/artifacts.ts';
import { s3Uri } from '#stores/objects.ts';

/** The models the gate scores. */
export type ScoredRole = 'candidate' | 'champion';

/** Container paths of a scoring job (SageMaker Processing's `/opt/ml/processing` tree). */
const PROCESSING = '/opt/ml/processing';

/** The holdout of the run, as one CSV object the scoring jobs and the gate read. */
export type HoldoutSnapshot = Evaluation['holdout'] & { snapshotKey: string };

/** Where a run keeps its holdout snapshot and each model's scores. */
export function scoringKeys(run: Pick<RunContext, 'modelId' | 'executionName'>) {
  const prefix = runPrefix(run);
  return {
    holdout: `${prefix}/holdout.csv`,
    scoresPrefix: (role: ScoredRole) => `${prefix}/scores/${role}`,
    scores: (role: ScoredRole) => `${prefix}/scores/${role}/scores.csv`,
  };
}

/** Whether Kaizen runs a model artifact itself (the built-in trainer's JSON) or needs the team's scoring script. */
export function isBuiltinArtifact(artifactKey: string): boolean {
  return artifactKey.endsWith('.json');
}

/** The run's holdout as read: its daily objects, joined under one header. */
export interface HoldoutText {
  keys: string[];
  text: string;
  /** How error messages name it. */
  source: string;
}

/** The daily objects (or the one object) of the run's holdout. */
function holdoutKeys(policy: ModelPolicy, run: RunContext): string[] {
  const { holdout, window } = policy.evaluation;
  return datedKeys(holdout, run.asOf, durationSeconds(window ?? policy.window));
}

/**
 * Reads the run's holdout: the one object, or with `{date}` every daily object of the evaluation window.
 * `fromSnapshot`: the copy PrepareScoring wrote, which the scoring jobs scored.
 */
export async function readHoldout(
  ctx: KaizenContext,
  policy: ModelPolicy,
  run: RunContext,
  options: { fromSnapshot?: boolean } = {},
): Promise<HoldoutText> {
  const { holdout } = policy.evaluation;
  const keys = holdoutKeys(policy, run);
  if (options.fromSnapshot) {
    const snapshotKey = scoringKeys(run).holdout;
    return { keys, text: await getText(ctx, snapshotKey), source: s3Uri(ctx, snapshotKey) };
  }
  const parts = [];
  for (const key of keys) parts.push({ source: s3Uri(ctx, key), text: await getText(ctx, key) });
  const source = keys.length === 1 ? s3Uri(ctx, holdout) : `${keys.length} daily objects of ${holdout}`;
  return { keys, text: concatenateCsv(parts), source };
}

/**
 * Reads the run's holdout, checks its label column (before any job is paid for) and writes it as one
 * snapshot object: the single file every scoring job and the gate see.
 */
export async function snapshotHoldout(
  ctx: KaizenContext,
  policy: ModelPolicy,
  run: RunContext,
): Promise<HoldoutSnapshot> {
  const { keys, text, source } = await readHoldout(ctx, policy, run);
  const { rows } = await parseNumericTable(text, [evaluationLabel(policy)], { source });
  const snapshotKey = scoringKeys(run).holdout;
  await putText(ctx, snapshotKey, text, 'text/csv');
  return {
    key: policy.evaluation.holdout,
    sha256: sha256(text),
    rows,
    snapshotKey,
    ...(keys.length > 1 ? { keys } : {}),
  };
}

/** Single-quotes a word for bash. */
function quoted(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The interpreter of a script by its extension, as the local SageMaker integration and the image see it. */
export function interpreterOf(entryPoint: string): string {
  if (entryPoint.endsWith('.py')) return 'python3';
  if (entryPoint.endsWith('.sh')) return 'bash';
  return 'node';
}

/** A CreateProcessingJob request (without `RoleArn`, which the state machine adds from the app). */
export interface ProcessingJobRequest {
  ProcessingJobName: string;
  AppSpecification: { ImageUri: string; ContainerEntrypoint: string[] };
  ProcessingInputs: {
    InputName: string;
    S3Input: { S3Uri: string; LocalPath: string; S3DataType: 'S3Prefix'; S3InputMode: 'File' };
  }[];
  ProcessingOutputConfig: {
    Outputs: {
      OutputName: string;
      S3Output: { S3Uri: string; LocalPath: string; S3UploadMode: 'EndOfJob' };
    }[];
  };
  ProcessingResources: { ClusterConfig: { InstanceCount: 1; InstanceType: string; VolumeSizeInGB: number } };
  StoppingCondition: { MaxRuntimeInSeconds: number };
}

/**
 * The scoring job of one model: the source archive and the model are unpacked, then
 * `<entryPoint> --model-dir DIR --holdout FILE --output FILE` runs; `scores.csv` is uploaded to the run's
 * scores folder of that model.
 */
export function scoringJob(
  ctx: KaizenContext,
  policy: ModelPolicy,
  run: RunContext,
  role: ScoredRole,
  artifactKey: string,
): ProcessingJobRequest {
  const { evaluation, training } = policy;
  const entryPoint = evaluation.entryPoint as string;
  const sourceDir = (evaluation.sourceDir ??
    (training.backend === 'sagemaker' ? training.sourceDir : '')) as string;
  const image = (evaluation.image ?? (training.backend === 'sagemaker' ? training.image : '')) as string;
  const keys = scoringKeys(run);
  const input = (name: string, key: string) => ({
    InputName: name,
    S3Input: {
      S3Uri: s3Uri(ctx, key),
      LocalPath: `${PROCESSING}/input/${name}`,
      S3DataType: 'S3Prefix' as const,
      S3InputMode: 'File' as const,
    },
  });
  const script = [
    'set -euo pipefail',
    `mkdir -p ${PROCESSING}/code ${PROCESSING}/model ${PROCESSING}/output`,
    `tar -xzf ${quoted(`${PROCESSING}/input/code/${basename(sourceDir)}`)} -C ${PROCESSING}/code`,
    `tar -xzf ${quoted(`${PROCESSING}/input/model/${basename(artifactKey)}`)} -C ${PROCESSING}/model`,
    `cd ${PROCESSING}/code`,
    `exec ${interpreterOf(entryPoint)} ${quoted(entryPoint)} --model-dir ${PROCESSING}/model ` +
      `--holdout ${PROCESSING}/input/holdout/${basename(keys.holdout)} --output ${PROCESSING}/output/scores.csv`,
  ].join('\n');
  return {
    ProcessingJobName: sageMakerJobName(
      'score',
      run.modelId,
      `${ctx.config.bucket}/${run.executionName}/${role}`,
    ),
    AppSpecification: { ImageUri: image, ContainerEntrypoint: ['bash', '-c', script] },
    ProcessingInputs: [input('code', sourceDir), input('model', artifactKey), input('holdout', keys.holdout)],
    ProcessingOutputConfig: {
      Outputs: [
        {
          OutputName: 'scores',
          S3Output: {
            S3Uri: s3Uri(ctx, keys.scoresPrefix(role)),
            LocalPath: `${PROCESSING}/output`,
            S3UploadMode: 'EndOfJob',
          },
        },
      ],
    },
    ProcessingResources: {
      ClusterConfig: { InstanceCount: 1, InstanceType: evaluation.instanceType, VolumeSizeInGB: 30 },
    },
    StoppingCondition: { MaxRuntimeInSeconds: durationSeconds(evaluation.maxRuntime) },
  };
}

export interface ScoringPlan {
  holdout: HoldoutSnapshot;
  /** One scoring job per model Kaizen cannot run itself (a built-in champion is scored in-process). */
  jobs: { role: ScoredRole; request: ProcessingJobRequest }[];
}

/** Snapshots the holdout and plans the scoring jobs of the candidate and the champion. */
export async function planScoring(
  ctx: KaizenContext,
  policy: ModelPolicy,
  run: RunContext,
  candidate: Candidate,
  champion: Champion | null,
): Promise<ScoringPlan> {
  const snapshot = await snapshotHoldout(ctx, policy, run);
  const models: [ScoredRole, string][] = [['candidate', candidate.artifactKey]];
  if (champion) models.push(['champion', champion.artifactKey]);
  const jobs = models
    .filter(([, artifactKey]) => !isBuiltinArtifact(artifactKey))
    .map(([role, artifactKey]) => ({ role, request: scoringJob(ctx, policy, run, role, artifactKey) }));
  return { holdout: snapshot, jobs };
}
