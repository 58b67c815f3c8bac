import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { datedKeys } from '#domain/dated-keys.ts';
import { durationSeconds } from '#domain/duration.ts';
import { ObservationSchema } from '#domain/observations.ts';
import { type ModelPolicyInput, parsePolicy } from '#domain/policy.ts';
import { packFolder } from '#local/integrations/sagemaker.ts';
import { getText, putBytes } from '#stores/artifacts.ts';
import { getChampion } from '#stores/champion.ts';
import { listRuns } from '#stores/runs.ts';
import { listVersions } from '#stores/versions.ts';
import { freshStack, observe, ROOT, type TestStack } from '../support/loop.ts';

// examples/byo-sklearn end to end on a fresh local stack, as its README walks through it: the real train.py and
// predict.py (scikit-learn) run by the local SageMaker under the container contract. It needs a python3 with
// scikit-learn (`.ci/run` installs Debian's python3-sklearn); the backend's own tests (backends.test.ts) use
// dependency-free scripts, so `npm test` passes without one.
const EXAMPLE = join(ROOT, 'examples/byo-sklearn');
const AS_OF = '2026-11-21T00:00:00.000Z';
const MODEL = 'churn-sklearn';

/** The interpreters tried, in order: the one `kaizen` would be told to use, Debian's, the one on PATH. */
const CANDIDATES = [process.env.KAIZEN_PYTHON, '/usr/bin/python3', 'python3'].filter(
  (candidate): candidate is string => Boolean(candidate),
);

/** The first candidate that imports what the example's scripts import. */
function sklearnPython(candidates: readonly string[]): string | undefined {
  return candidates.find(
    (python) =>
      spawnSync(python, ['-c', 'import sklearn, joblib, numpy'], { stdio: 'ignore', timeout: 60_000 })
        .status === 0,
  );
}

const python = sklearnPython(CANDIDATES);
const title = python
  ? `examples/byo-sklearn end to end (scikit-learn in ${python})`
  : `examples/byo-sklearn end to end: SKIPPED, no python3 with scikit-learn among ${CANDIDATES.join(', ')} ` +
    '(apt-get install python3-sklearn, or set KAIZEN_PYTHON to a python that has it)';
// Said in the run's output too: a skipped file shows only its count there.
if (!python) console.warn(title);

describe.skipIf(!python)(title, () => {
  const previous = process.env.KAIZEN_PYTHON;
  let example: ModelPolicyInput & { $schema?: string };
  let stack: TestStack | undefined;

  beforeAll(async () => {
    // The local SageMaker runs `python3` as KAIZEN_PYTHON when it is set.
    process.env.KAIZEN_PYTHON = python;
    example = JSON.parse(await readFile(join(EXAMPLE, 'policy.json'), 'utf8'));
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.KAIZEN_PYTHON;
    else process.env.KAIZEN_PYTHON = previous;
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  /** Every daily training object of the run as of AS_OF, by the policy's channel template. */
  const trainKeys = () => {
    const training = example.training as { channels: { train: string }; window: string };
    return datedKeys(training.channels.train, AS_OF, durationSeconds(training.window));
  };

  /** A fresh stack with the example registered and its files uploaded, as the README's commands do. */
  async function setUp(): Promise<TestStack> {
    // freshStack spreads the overrides over examples/churn-policy.json: every field of this policy replaces
    // the churn example's, and the churn example's monitoring section goes.
    stack = await freshStack({ ...example, monitoring: undefined });
    expect(stack.policy.modelId).toBe(MODEL);
    const { ctx, policy } = stack;
    if (policy.training.backend !== 'sagemaker') throw new Error('the example trains with sagemaker');
    await putBytes(ctx, policy.training.sourceDir, (await packFolder(join(EXAMPLE, 'code'))).archive);
    const days = (await readdir(join(EXAMPLE, 'data/train'))).sort();
    expect(days.map((file) => `datasets/churn-sklearn/train/${file}`)).toEqual(trainKeys());
    for (const file of days) {
      await putBytes(
        ctx,
        `datasets/churn-sklearn/train/${file}`,
        await readFile(join(EXAMPLE, 'data/train', file)),
      );
    }
    await putBytes(ctx, policy.evaluation.holdout, await readFile(join(ROOT, 'examples/churn/holdout.csv')));
    const kpis = (await readFile(join(EXAMPLE, 'data/kpis.jsonl'), 'utf8')).trim().split('\n');
    await observe(ctx, ...kpis.map((line) => ObservationSchema.parse(JSON.parse(line))));
    return stack;
  }

  /** The README's first run: no champion, so v1 is trained, scored by predict.py, promoted and verified. */
  async function firstRun(on: TestStack) {
    const { record } = await on.run({ asOf: AS_OF });
    expect(record).toMatchObject({ outcome: 'promoted', championBefore: null, championAfter: 1 });
    return record;
  }

  it('is a valid policy', () => {
    const policy = parsePolicy(example, 'examples/byo-sklearn/policy.json');
    expect(policy.training).toMatchObject({ backend: 'sagemaker', entryPoint: 'train.py' });
    expect(policy.evaluation).toMatchObject({ entryPoint: 'predict.py', label: 'churned', metric: 'auc' });
  });

  it('trains v1 with train.py on the three daily files, scores it with predict.py and promotes it', async () => {
    const on = await setUp();
    const record = await firstRun(on);
    const [version] = await listVersions(on.ctx, MODEL);
    expect(version).toMatchObject({
      version: 1,
      backend: 'sagemaker',
      status: 'champion',
      artifactKey: expect.stringMatching(
        /\/kaizen-train-churn-sklearn-[0-9a-f]{12}\/output\/model\.tar\.gz$/,
      ),
      dataset: { channels: { train: trainKeys() } },
      hyperparameters: { sagemaker_program: 'train.py', label: '"churned"', n_estimators: '200' },
      job: { name: expect.stringMatching(/^kaizen-train-churn-sklearn-/) },
    });
    expect(record?.evaluation).toMatchObject({
      metric: 'auc',
      championScore: null,
      holdout: { rows: 500 },
      scoredBy: { candidate: 'scoring-job' },
    });
    // A gradient-boosting model on the demo's churn data: well above the policy's floor of 0.6.
    expect(record?.evaluation?.candidateScore).toBeGreaterThan(0.8);
    // predict.py's output: a `score` header, then the probability of class 1 for each of the 500 holdout rows.
    const [header, ...scores] = (
      await getText(on.ctx, `models/${MODEL}/${record?.executionName}/scores/candidate/scores.csv`)
    )
      .trim()
      .split('\n');
    expect(header).toBe('score');
    expect(scores).toHaveLength(500);
    for (const score of scores.map(Number)) expect(score >= 0 && score <= 1).toBe(true);
    // The training job's output is kept in the home's logs.
    const log = await readFile(join(on.home, 'logs/sagemaker', `${version?.job?.name}.log`), 'utf8');
    expect(log).toContain('trained on 1500 rows from 3 files (tenure, monthly_charges, support_calls)');
    expect(log).toMatch(/train_auc=0\.\d+/);
  });

  it('rejects a forced retrain on the same data: the same model, no improvement', async () => {
    const on = await setUp();
    await firstRun(on);
    const { record } = await on.run({ asOf: AS_OF, force: true });
    expect(record).toMatchObject({ outcome: 'rejected', championBefore: 1, championAfter: 1 });
    expect(record?.evaluation?.scoredBy).toEqual({ candidate: 'scoring-job', champion: 'scoring-job' });
    // random_state makes the retrain reproducible: the candidate scores exactly as the champion does.
    expect(record?.evaluation?.candidateScore).toBe(record?.evaluation?.championScore);
    const reasons = record?.evaluation?.reasons.join(' ');
    expect(reasons).toContain('below the required margin 0.0050');
    expect(reasons).toContain("exactly the champion's data");
    expect((await getChampion(on.ctx, MODEL))?.version).toBe(1);
    expect((await listVersions(on.ctx, MODEL)).map((v) => [v.version, v.status])).toEqual([
      [2, 'rejected'],
      [1, 'champion'],
    ]);
  });

  it("records a failed run with train.py's failure message on a bad label; the champion stays", async () => {
    const on = await setUp();
    await firstRun(on);
    const { putPolicy } = await import('#stores/policies.ts');
    const training = example.training as { hyperparameters: Record<string, string | number> };
    await putPolicy(
      on.ctx,
      parsePolicy({
        ...example,
        training: { ...training, hyperparameters: { ...training.hyperparameters, label: 'churn' } },
      }),
    );
    const result = await on.run({ asOf: AS_OF, force: true });
    expect(result.status).toBe('FAILED');
    const [run] = await listRuns(on.ctx, MODEL, 1);
    expect(run).toMatchObject({ outcome: 'failed', championBefore: 1, championAfter: 1 });
    // The text train.py wrote to SM_OUTPUT_DIR/failure is the job's FailureReason.
    expect(run?.error?.message).toContain(
      "label column 'churn' is not in 2026-11-18.csv: its columns are tenure, monthly_charges, support_calls, churned",
    );
    expect((await getChampion(on.ctx, MODEL))?.version).toBe(1);
    expect((await listVersions(on.ctx, MODEL)).map((v) => v.version)).toEqual([1]);
  });
});
