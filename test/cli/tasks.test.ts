import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '#domain/policy.ts';
import { putPolicy } from '#stores/policies.ts';
import { localBackend } from '../../cli/backend.ts';
import { cliIn } from '../support/cli.ts';
import { observe, precision, ROOT, writeDatasets } from '../support/loop.ts';

// A callback run waits in one process; `kaizen tasks`, `upload`, `complete` and `fail` answer it from another,
// as a person or a local trainer would, while the run holds the home.
const T0 = '2026-11-10T00:00:00.000Z';
const TRAIN_KEY = 'datasets/churn/train.csv';

let home: string;
const { kaizen, file } = cliIn(() => home);

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-tasks-'));
  const backend = await localBackend(home);
  const policy = parsePolicy({
    ...(await import(join(ROOT, 'examples/churn-policy.json'), { with: { type: 'json' } })).default,
    monitoring: undefined,
    training: { backend: 'callback', channels: { train: TRAIN_KEY }, timeout: 'PT60S' },
    evaluation: {
      holdout: 'datasets/churn/holdout.csv',
      label: 'churned',
      metric: 'auc',
      minImprovement: 0.005,
      minScore: 0.6,
    },
  });
  await putPolicy(backend.ctx, policy);
  await writeDatasets(backend.ctx, policy, { seed: 1, shifted: false, trainingKey: TRAIN_KEY });
  await observe(backend.ctx, precision('2026-11-10T06:00:00.000Z', 0.3));
  await backend.close();
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** `kaizen run` in its own process, as in another shell; resolves with its exit code and output. */
function runInAnotherShell() {
  const child = spawn(
    process.execPath,
    ['bin/kaizen.js', '--home', home, 'run', '--model', 'churn', '--as-of', T0, '--json'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (data: Buffer) => {
    out += data.toString();
  });
  child.stderr.on('data', (data: Buffer) => {
    out += data.toString();
  });
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, out })),
  );
}

/** Waits until the run in the other shell holds the home (polling before would take the home from it). */
async function waitingToken(): Promise<string> {
  const { access } = await import('node:fs/promises');
  for (
    let i = 0;
    i < 300 &&
    !(await access(join(home, 'stack.json')).then(
      () => true,
      () => false,
    ));
    i += 1
  ) {
    await new Promise((done) => setTimeout(done, 100));
  }
  for (let i = 0; i < 300; i += 1) {
    const listed = await kaizen('tasks', '--json');
    const [task] = listed.code === 0 ? (JSON.parse(listed.out) as { token: string; modelId: string }[]) : [];
    if (task) return task.token;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`no training request appeared: ${JSON.stringify(await kaizen('tasks', '--json'))}`);
}

describe('answering callback tasks from another shell', () => {
  it('lists the waiting request, takes an uploaded model and completes the run', async () => {
    const run = runInAnotherShell();
    const token = await waitingToken();
    const human = await kaizen('tasks');
    expect(human.out).toMatch(
      /^KIND +MODEL +EXECUTION +REQUESTED +DEADLINE +TOKEN\n[- ]+\ntraining +churn +manual-churn-\S+ .* kaizen-local-\S+\n/,
    );
    // The external trainer: a model folder packed and uploaded (this fixture's scores come from its predict).
    const { mkdtemp: temp, writeFile } = await import('node:fs/promises');
    const folder = await temp(join(tmpdir(), 'kaizen-model-'));
    await writeFile(join(folder, 'model.json'), JSON.stringify({ features: [] }));
    const upload = await kaizen('upload', folder, 'models/churn/external/model.tar.gz');
    expect(upload.code).toBe(0);
    const scores = await file(
      'scores.csv',
      `score\n${Array.from({ length: 1000 }, (_, i) => (i % 7) / 7).join('\n')}\n`,
    );
    expect((await kaizen('upload', scores, 'models/churn/external/scores.csv')).code).toBe(0);
    const complete = await kaizen(
      'complete',
      '--token',
      token,
      '--artifact',
      'models/churn/external/model.tar.gz',
      '--scores',
      '{"candidate": "models/churn/external/scores.csv"}',
    );
    expect(complete).toMatchObject({
      code: 0,
      out: expect.stringContaining('answered: models/churn/external/model.tar.gz'),
    });
    const { code, out } = await run;
    // Scores unrelated to the labels: an AUC near 0.5 misses the policy's floor, so the gate rejects it.
    expect(out, out.slice(0, 600)).toContain('"outcome":"rejected"');
    expect(out).toContain('candidate auc 0.4398 misses the absolute floor 0.6000');
    expect(code).toBe(0);
    expect(JSON.parse((await kaizen('tasks', '--json')).out)).toEqual([]);
    // The token is spent.
    const again = await kaizen(
      'complete',
      '--token',
      token,
      '--artifact',
      'models/churn/external/model.tar.gz',
    );
    expect(again.code).toBe(2);
    expect(again.err).toContain('no task waits for this token: TaskDoesNotExist');
  });

  it('fails the run when the trainer reports a failure; the run is recorded', async () => {
    const run = runInAnotherShell();
    const token = await waitingToken();
    const failed = await kaizen('fail', '--token', token, '--error', 'Databricks job 42 failed: OOM');
    expect(failed.code).toBe(0);
    const { code, out } = await run;
    expect(code).toBe(1);
    expect(out).toContain('Databricks job 42 failed: OOM');
    const history = await kaizen('history', '--model', 'churn', '--json');
    expect(JSON.parse(history.out).runs[0]).toMatchObject({
      outcome: 'failed',
      error: { name: 'TrainingFailed' },
    });
  });

  it('refuses bad --scores JSON before sending anything', async () => {
    const result = await kaizen('complete', '--token', 't', '--artifact', 'a.tar.gz', '--scores', '{nope');
    expect(result.code).toBe(2);
    expect(result.err).toContain('--scores is not valid JSON');
  });
});
