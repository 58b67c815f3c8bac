import { InvalidInputError } from '#contracts/errors.ts';
import { formatIssues, type ModelPolicy } from '#domain/policy.ts';
import type { Candidate, Champion, RunContext, SuppliedScores } from '#domain/run.ts';
import * as z from '#domain/zod.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { headObject, keyOf } from '#stores/objects.ts';
import { closePendingTask } from '#stores/tasks.ts';
import { getVersion, registerVersion } from '#stores/versions.ts';
import type { PreparedTraining } from '../prepare/prepare.ts';

/** What the SageMaker training task leaves in `$.trained` (its ResultSelector). */
interface TrainedBySageMaker {
  artifact: string;
  jobName: string;
  jobArn: string;
}

/** The output an external trainer sends with SendTaskSuccess. */
export const CallbackAnswerSchema = z.strictObject({
  /** Key (or `s3://` URI in the artifacts bucket) of the trained model, e.g. its `model.tar.gz`. */
  artifactKey: z.string().check(z.minLength(1), z.maxLength(1024)),
  /** Holdout scores the trainer computed, when the policy has no `evaluation.entryPoint`. */
  scores: z.optional(
    z.strictObject({
      candidate: z.string().check(z.minLength(1), z.maxLength(1024)),
      champion: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
    }),
  ),
});

export type CallbackAnswer = z.infer<typeof CallbackAnswerSchema>;

export interface RegisterEvent {
  run: RunContext;
  policy: ModelPolicy;
  champion: Champion | null;
  prepared: PreparedTraining;
  trained: unknown;
}

/** Validates an external trainer's answer; a bad one names each field. */
export function parseCallbackAnswer(answer: unknown): CallbackAnswer {
  const result = CallbackAnswerSchema.safeParse(answer);
  if (!result.success) {
    throw new InvalidInputError(
      `the trainer's answer is invalid: ${formatIssues(result.error).join('; ')} ` +
        '(expected {"artifactKey": "...", "scores": {"candidate": "...", "champion": "..."}})',
    );
  }
  return result.data;
}

/**
 * Registers the model a SageMaker job or an external trainer produced as the run's candidate: checks that its
 * artifact (and any supplied score files) exist, records the backend, job, hyperparameters and the training
 * data's lineage, and says whether it was trained on exactly the champion's data. Closes the pending task.
 */
export async function register(ctx: KaizenContext, event: RegisterEvent): Promise<Candidate> {
  const { run, policy, champion, prepared } = event;
  const backend = policy.training.backend;
  let artifactKey: string;
  let extra: Pick<Candidate, 'job' | 'hyperparameters' | 'suppliedScores'> = {};
  if (backend === 'sagemaker') {
    const trained = event.trained as TrainedBySageMaker;
    artifactKey = keyOf(ctx, trained.artifact, 'the training job model');
    extra = {
      job: { name: trained.jobName, arn: trained.jobArn },
      hyperparameters: prepared.job?.HyperParameters,
    };
  } else if (backend === 'callback') {
    const answer = parseCallbackAnswer(event.trained);
    artifactKey = keyOf(ctx, answer.artifactKey, 'artifactKey');
    if (answer.scores) {
      const scores: SuppliedScores = { candidate: keyOf(ctx, answer.scores.candidate, 'scores.candidate') };
      if (answer.scores.champion) scores.champion = keyOf(ctx, answer.scores.champion, 'scores.champion');
      for (const [role, key] of Object.entries(scores))
        await headObject(ctx, key, `the trainer's ${role} scores`);
      extra = { suppliedScores: scores };
    }
  } else {
    throw new Error(
      'the built-in trainer registers its own versions: the workflow routes it to the train step',
    );
  }
  await headObject(ctx, artifactKey, `the ${backend} trainer's model`);
  const championData = champion ? (await getVersion(ctx, run.modelId, champion.version))?.dataset : undefined;
  const dataset: Candidate['dataset'] = {
    ...prepared.dataset,
    ...(championData?.sha256 === prepared.dataset.sha256 ? { sameAsChampion: true as const } : {}),
  };
  const record = await registerVersion(ctx, run.modelId, () => ({
    backend,
    artifactKey,
    parentVersion: champion?.version ?? null,
    dataset,
    ...extra,
    executionName: run.executionName,
    trainedAsOf: run.asOf,
  }));
  if (backend === 'callback') await closePendingTask(ctx, run.executionName);
  const { modelId: _m, trainedAsOf: _t, status: _s, createdAt: _c, executionName: _e, ...candidate } = record;
  return candidate;
}
