import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelPolicyInput } from '#domain/policy.ts';
import { EVENTS_FILE } from '#local/events.ts';
import { packFolder } from '#local/integrations/sagemaker.ts';
import { getText, putBytes, putText } from '#stores/artifacts.ts';
import { getChampion } from '#stores/champion.ts';
import { listRuns } from '#stores/runs.ts';
import { listPendingTasks } from '#stores/tasks.ts';
import { listVersions } from '#stores/versions.ts';
import { freshStack, observe, precision, ROOT, type TestStack, writeDatasets } from '../support/loop.ts';

// The three training backends end to end on the local stack: real ASL, the local SageMaker running
// dependency-free Node scripts under the container contract, and callback tasks answered through the local
// Step Functions API.
const T0 = '2026-11-10T00:00:00.000Z';
const T1 = '2026-11-20T00:00:00.000Z';
const later = (iso: string) => new Date(Date.parse(iso) + 6 * 3_600_000).toISOString();
const SCRIPTS = join(ROOT, 'test/fixtures/byo-node');
const TRAIN_KEY = 'datasets/churn/train.csv';
const SOURCE_KEY = 'code/churn/sourcedir.tar.gz';

const sagemaker = (hyperparameters: Record<string, string | boolean> = {}): Partial<ModelPolicyInput> => ({
  monitoring: undefined,
  training: {
    backend: 'sagemaker',
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/node:20',
    entryPoint: 'train.mjs',
    sourceDir: SOURCE_KEY,
    hyperparameters: { label: 'churned', ...hyperparameters },
    channels: { train: TRAIN_KEY },
  },
  evaluation: {
    holdout: 'datasets/churn/holdout.csv',
    label: 'churned',
    metric: 'auc',
    entryPoint: 'predict.mjs',
    minImprovement: 0.005,
    minScore: 0.6,
  },
});

let stack: TestStack;
afterEach(async () => {
  await stack?.close();
});

async function setUp(policy: Partial<ModelPolicyInput>) {
  stack = await freshStack(policy);
  const { archive } = await packFolder(SCRIPTS);
  await putBytes(stack.ctx, SOURCE_KEY, archive);
  await writeDatasets(stack.ctx, stack.policy, { seed: 1, shifted: false, trainingKey: TRAIN_KEY });
  // Good KPIs after the deploy: the first champion verifies.
  await observe(stack.ctx, precision(later(T0), 0.3));
  return stack;
}

/** Re-registers the model's policy with other training settings (the champion stays). */
async function repolicy(overrides: Partial<ModelPolicyInput>) {
  const { putPolicy } = await import('#stores/policies.ts');
  const { parsePolicy } = await import('#domain/policy.ts');
  const example = JSON.parse(await readFile(join(ROOT, 'examples/churn-policy.json'), 'utf8'));
  await putPolicy(stack.ctx, parsePolicy({ ...example, ...overrides }));
}

describe('sagemaker backend (script mode, run locally under the container contract)', () => {
  it('trains with the entry point, scores with predict on the holdout snapshot, and promotes', async () => {
    await setUp(sagemaker());
    const { record } = await stack.run({ asOf: T0 });
    expect(record).toMatchObject({ outcome: 'promoted', championAfter: 1 });
    const [version] = await listVersions(stack.ctx, 'churn');
    expect(version).toMatchObject({
      version: 1,
      backend: 'sagemaker',
      status: 'champion',
      artifactKey: expect.stringMatching(
        /^models\/churn\/[^/]+\/kaizen-train-churn-[0-9a-f]{12}\/output\/model\.tar\.gz$/,
      ),
      dataset: {
        key: TRAIN_KEY,
        channels: { train: [TRAIN_KEY] },
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
      hyperparameters: { sagemaker_program: 'train.mjs', label: '"churned"' },
      job: { name: expect.stringMatching(/^kaizen-train-churn-/) },
    });
    // Kaizen computed the AUC from predict.mjs's scores and the holdout's labels.
    expect(record?.evaluation).toMatchObject({
      metric: 'auc',
      championScore: null,
      holdout: { rows: 1000, snapshotKey: expect.stringMatching(/holdout\.csv$/) },
      scoredBy: { candidate: 'scoring-job' },
    });
    expect(record?.evaluation?.candidateScore).toBeGreaterThan(0.6);
    const scores = await getText(
      stack.ctx,
      `models/churn/${record?.executionName}/scores/candidate/scores.csv`,
    );
    expect(scores.trim().split('\n')).toHaveLength(1001);
    // The job's log is kept in the home.
    const log = await readFile(join(stack.home, 'logs/sagemaker', `${version?.job?.name}.log`), 'utf8');
    expect(log).toContain('trained on 7000 rows from 1 files');
  });

  it('scores candidate and champion on the same holdout and rejects a worse candidate', async () => {
    await setUp(sagemaker());
    await stack.run({ asOf: T0 });
    await repolicy(sagemaker({ invert: true }));
    const { record } = await stack.run({ asOf: T1, force: true });
    expect(record).toMatchObject({ outcome: 'rejected', championBefore: 1, championAfter: 1 });
    expect(record?.evaluation?.scoredBy).toEqual({ candidate: 'scoring-job', champion: 'scoring-job' });
    expect(record?.evaluation?.candidateScore).toBeLessThan(record?.evaluation?.championScore ?? 0);
    // Same bytes as the champion's data: said in the reasons.
    expect(record?.evaluation?.reasons.join(' ')).toContain("exactly the champion's data");
    expect((await getChampion(stack.ctx, 'churn'))?.version).toBe(1);
  });

  it.each([
    { fail: 'exit', says: 'exited with code 3', tail: 'out of memory while fitting' },
    { fail: 'file', says: 'label column has NaN values', tail: 'label column has NaN values' },
  ])(
    'records a training job that fails ($fail) with its message; the champion stays',
    async ({ fail, says, tail }) => {
      await setUp(sagemaker());
      await stack.run({ asOf: T0 });
      await repolicy(sagemaker({ fail }));
      const result = await stack.run({ asOf: T1, force: true });
      expect(result.status).toBe('FAILED');
      const [run] = await listRuns(stack.ctx, 'churn', 1);
      expect(run).toMatchObject({ outcome: 'failed', championBefore: 1, championAfter: 1 });
      expect(run?.error?.message).toContain(says);
      expect(run?.error?.message).toContain(tail);
      expect((await getChampion(stack.ctx, 'churn'))?.version).toBe(1);
      expect((await listVersions(stack.ctx, 'churn')).map((v) => v.version)).toEqual([1]);
    },
  );

  it('fails a run whose training object is missing, naming the channel and key', async () => {
    await setUp(sagemaker());
    await repolicy({
      ...sagemaker(),
      training: {
        ...(sagemaker().training as object),
        channels: { train: 'datasets/churn/missing.csv' },
      } as ModelPolicyInput['training'],
    });
    const result = await stack.run({ asOf: T0 });
    expect(result.status).toBe('FAILED');
    const [run] = await listRuns(stack.ctx, 'churn', 1);
    expect(run?.error?.message).toContain('training channel "train"');
    expect(run?.error?.message).toContain('datasets/churn/missing.csv does not exist');
  });
});

const callback = (extra: Record<string, unknown> = {}): Partial<ModelPolicyInput> => ({
  monitoring: undefined,
  training: {
    backend: 'callback',
    channels: { train: TRAIN_KEY },
    timeout: 'PT30S',
    ...extra,
  } as ModelPolicyInput['training'],
  evaluation: {
    holdout: 'datasets/churn/holdout.csv',
    label: 'churned',
    metric: 'auc',
    minImprovement: 0.005,
  },
});

/** Waits until the run's training request is pending, as an external trainer would see it. */
/** Waits until the run's training request is recorded and published (its event names the task's token). */
async function pendingTask() {
  for (let i = 0; i < 200; i += 1) {
    const [task] = await listPendingTasks(stack.ctx);
    const events = await readFile(join(stack.home, EVENTS_FILE), 'utf8').catch(() => '');
    if (task && events.includes(task.token)) return task;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error('no training request was published');
}

/** An external trainer: fits the fixture model on the channel's data, uploads model.tar.gz and holdout scores. */
async function trainExternally(prefix: string) {
  const { trainModel, readCsv, score } = await import(join(SCRIPTS, 'model.mjs'));
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const folder = await mkdtemp(join(tmpdir(), 'kaizen-trainer-'));
  const write = async (name: string, key: string) => {
    await writeFile(join(folder, name), await getText(stack.ctx, key));
    return join(folder, name);
  };
  const model = trainModel(readCsv([await write('train.csv', TRAIN_KEY)]), 'churned', false);
  await writeFile(join(folder, 'model.json'), JSON.stringify(model));
  const holdout = readCsv([await write('holdout.csv', 'datasets/churn/holdout.csv')]);
  const modelFolder = await mkdtemp(join(tmpdir(), 'kaizen-model-'));
  await writeFile(join(modelFolder, 'model.json'), JSON.stringify(model));
  const artifactKey = `${prefix}model.tar.gz`;
  await putBytes(stack.ctx, artifactKey, (await packFolder(modelFolder)).archive);
  await putText(stack.ctx, `${prefix}scores.csv`, `score\n${score(model, holdout).join('\n')}\n`);
  return { artifactKey, scoresKey: `${prefix}scores.csv` };
}

describe('callback backend (an external trainer answers a task token)', () => {
  it('publishes the request, registers the answered model and gates it on the supplied scores', async () => {
    await setUp(callback({ parameters: { pipeline: 'churn-retrain' } }));
    const running = stack.run({ asOf: T0 });
    const task = await pendingTask();
    const event = JSON.parse(
      (await readFile(join(stack.home, EVENTS_FILE), 'utf8')).trim().split('\n').at(-1) ?? '{}',
    );
    expect(event).toMatchObject({
      source: 'kaizen-loop',
      'detail-type': 'Kaizen Training Requested',
      detail: {
        modelId: 'churn',
        taskToken: task.token,
        channels: { train: [`s3://kaizen-artifacts/${TRAIN_KEY}`] },
        holdout: ['s3://kaizen-artifacts/datasets/churn/holdout.csv'],
        parameters: { pipeline: 'churn-retrain' },
        champion: null,
        timeoutSeconds: 30,
      },
    });
    const { artifactKey, scoresKey } = await trainExternally(
      event.detail.outputPrefix.replace('s3://kaizen-artifacts/', ''),
    );
    await (await stack.backend.states()).send(
      new SendTaskSuccessCommand({
        taskToken: task.token,
        output: JSON.stringify({ artifactKey, scores: { candidate: scoresKey } }),
      }),
    );
    const { record } = await running;
    expect(record).toMatchObject({
      outcome: 'promoted',
      candidate: { backend: 'callback', artifactKey, suppliedScores: { candidate: scoresKey } },
      evaluation: { scoredBy: { candidate: 'trainer' }, championScore: null },
    });
    expect(record?.evaluation?.candidateScore).toBeGreaterThan(0.6);
    expect(await listPendingTasks(stack.ctx)).toEqual([]);
    // The token is spent: answering again is refused as Step Functions does.
    await expect(
      (await stack.backend.states()).send(
        new SendTaskSuccessCommand({ taskToken: task.token, output: '{}' }),
      ),
    ).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });

  it('records a trainer failure (SendTaskFailure) and keeps the champion', async () => {
    await setUp(callback());
    const running = stack.run({ asOf: T0 });
    const task = await pendingTask();
    await (await stack.backend.states()).send(
      new SendTaskFailureCommand({
        taskToken: task.token,
        error: 'TrainingFailed',
        cause: 'the Airflow DAG failed',
      }),
    );
    const result = await running;
    expect(result.status).toBe('FAILED');
    const [run] = await listRuns(stack.ctx, 'churn', 1);
    expect(run).toMatchObject({ outcome: 'failed', championAfter: null, error: { name: 'TrainingFailed' } });
    expect(run?.error?.message).toContain('the Airflow DAG failed');
    expect(await listPendingTasks(stack.ctx)).toEqual([]);
    expect(await listVersions(stack.ctx, 'churn')).toEqual([]);
  });

  it('records a timeout when nobody answers, and closes the request', async () => {
    await setUp(callback({ timeout: 'PT2S' }));
    const result = await stack.run({ asOf: T0 });
    expect(result.status).toBe('FAILED');
    const [run] = await listRuns(stack.ctx, 'churn', 1);
    expect(run).toMatchObject({ outcome: 'failed', error: { name: 'States.Timeout' } });
    expect(await listPendingTasks(stack.ctx)).toEqual([]);
  });

  it('fails the run on an answer that is not a model in the bucket', async () => {
    await setUp(callback());
    const running = stack.run({ asOf: T0 });
    const task = await pendingTask();
    await (await stack.backend.states()).send(
      new SendTaskSuccessCommand({
        taskToken: task.token,
        output: JSON.stringify({ artifactKey: 'models/nope.tar.gz' }),
      }),
    );
    expect((await running).status).toBe('FAILED');
    const [run] = await listRuns(stack.ctx, 'churn', 1);
    expect(run?.error?.message).toContain('models/nope.tar.gz does not exist');
  });
});
