import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelPolicyInput } from '#domain/policy.ts';
import { getChampion } from '#stores/champion.ts';
import { freshStack, observe, precision, type TestStack, writeDatasets } from '../support/loop.ts';

// Deployment targets end to end on the local stack: the real ASL path to a SageMaker endpoint and to a Lambda
// alias with traffic stages, against the local stand-ins that record every call and answer as the services do.
const T0 = '2026-11-10T00:00:00.000Z';
const T1 = '2026-11-20T00:00:00.000Z';
const hours = (iso: string, h: number) => new Date(Date.parse(iso) + h * 3_600_000).toISOString();

let stack: TestStack;
afterEach(async () => {
  await stack?.close();
});

interface Call {
  target: string;
  input: Record<string, unknown>;
  output?: Record<string, unknown>;
  error?: { name: string };
}

async function calls(): Promise<Call[]> {
  const text = await readFile(join(stack.home, 'serving-calls.jsonl'), 'utf8').catch(() => '');
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Call);
}

const ENDPOINT: ModelPolicyInput['deployment'] = {
  target: 'sagemaker-endpoint',
  endpointName: 'churn-endpoint',
  image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
  routing: { type: 'CANARY', percent: 10, wait: 'PT5M' },
  alarms: ['churn-endpoint-5xx'],
};

/** The first champion, v1, with good KPIs after its deploy. */
async function firstChampion(overrides: Partial<ModelPolicyInput>) {
  stack = await freshStack(overrides);
  await writeDatasets(stack.ctx, stack.policy, { seed: 1, shifted: false });
  await observe(stack.ctx, precision(hours(T0, 6), 0.3));
  const first = await stack.run({ asOf: T0 });
  expect(first.record?.outcome).toBe('promoted');
  return first;
}

/** A second, forced retrain as of T1 whose post-deploy KPI is `after`. */
async function retrain(after: number) {
  await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
  await observe(stack.ctx, precision(hours(T1, -6), 0.3), precision(hours(T1, 6), after));
  return stack.run({ asOf: T1, force: true });
}

describe('sagemaker-endpoint target', () => {
  it('creates the endpoint for the first champion, then updates it blue/green to each new version', async () => {
    const first = await firstChampion({ deployment: ENDPOINT });
    const created = await calls();
    expect(created.map((c) => c.target)).toEqual([
      'sagemaker:createModel',
      'sagemaker:createEndpointConfig',
      'sagemaker:describeEndpoint',
      'sagemaker:createEndpoint',
      ...created.slice(4).map(() => 'sagemaker:describeEndpoint'),
    ]);
    expect(created[2]?.error?.name).toBeDefined();
    expect(created[0]?.input).toMatchObject({
      ModelName: expect.stringMatching(/^kaizen-model-churn-[0-9a-f]{12}$/),
      PrimaryContainer: {
        Image: ENDPOINT.image,
        ModelDataUrl: `s3://kaizen-artifacts/${first.record?.candidate?.artifactKey}`,
        Environment: { KAIZEN_MODEL_VERSION: '1' },
      },
      ExecutionRoleArn: expect.stringContaining(':role/'),
    });
    const firstConfig = created[1]?.input.EndpointConfigName as string;
    expect(first.record?.target).toEqual({
      target: 'sagemaker-endpoint',
      endpoint: 'churn-endpoint',
      config: firstConfig,
      previousConfig: null,
      status: 'InService',
    });

    const second = await retrain(0.31);
    expect(second.record?.outcome).toBe('promoted');
    const update = (await calls()).find((c) => c.target === 'sagemaker:updateEndpoint');
    expect(update?.input).toMatchObject({
      EndpointName: 'churn-endpoint',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            WaitIntervalInSeconds: 300,
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
          },
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'churn-endpoint-5xx' }] },
      },
    });
    expect(second.record?.target).toMatchObject({ previousConfig: firstConfig, status: 'InService' });
    // Serving refreshes subscribe to the promotion events, which name the target's state.
    const events = (await readFile(join(stack.home, 'events.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((e) => e['detail-type'])).toEqual(['Kaizen Model Promoted', 'Kaizen Model Promoted']);
    expect(events[1]?.detail).toMatchObject({
      championBefore: 1,
      championAfter: 2,
      target: { target: 'sagemaker-endpoint', endpoint: 'churn-endpoint', previousConfig: firstConfig },
    });
  });

  it('returns the endpoint to its previous config when the KPIs get worse', async () => {
    await firstChampion({ deployment: ENDPOINT });
    const firstConfig = (await calls())[1]?.input.EndpointConfigName;
    const { record } = await retrain(0.1);
    expect(record).toMatchObject({ outcome: 'rolled-back', championAfter: 1 });
    const updates = (await calls()).filter((c) => c.target === 'sagemaker:updateEndpoint');
    expect(updates.map((c) => c.input.EndpointConfigName)).toEqual([
      expect.not.stringMatching(String(firstConfig)),
      firstConfig,
    ]);
  });

  it('records a failed endpoint update as a failure, undoes the registry move, and keeps the champion', async () => {
    await firstChampion({ deployment: ENDPOINT });
    const failing = { ...ENDPOINT, environment: { KAIZEN_LOCAL_FAIL_DEPLOY: 'true' } };
    const { putPolicy } = await import('#stores/policies.ts');
    await putPolicy(stack.ctx, {
      ...stack.policy,
      deployment: { ...stack.policy.deployment, ...failing } as typeof stack.policy.deployment,
    });
    const result = await retrain(0.31);
    expect(result.status).toBe('FAILED');
    const { listRuns } = await import('#stores/runs.ts');
    const [run] = await listRuns(stack.ctx, 'churn', 1);
    expect(run).toMatchObject({
      outcome: 'failed',
      championAfter: 1,
      error: { name: 'EndpointUpdateFailed' },
    });
    expect((await getChampion(stack.ctx, 'churn'))?.version).toBe(1);
  });
});

describe('lambda-alias target with traffic stages', () => {
  const LAMBDA: Partial<ModelPolicyInput> = {
    deployment: { target: 'lambda-alias', functionName: 'churn-scorer', alias: 'live' },
    rollout: { bakePeriod: 'PT1H', maxChecks: 3, stages: [10, 50, 100] },
  };

  it('publishes a version with the model in its environment and shifts the alias stage by stage', async () => {
    const { record } = await firstChampion(LAMBDA);
    const sequence = (await calls()).filter(
      (c) => !c.target.endsWith('getFunctionConfiguration') || c.input.Environment,
    );
    const update = (await calls()).find((c) => c.target === 'lambda:updateFunctionConfiguration');
    expect(update?.input).toMatchObject({
      FunctionName: 'churn-scorer',
      Environment: {
        Variables: {
          KAIZEN_MODEL_ARTIFACT: `s3://kaizen-artifacts/${record?.candidate?.artifactKey}`,
          KAIZEN_MODEL_VERSION: '1',
        },
      },
    });
    const aliases = (await calls()).filter((c) => c.target === 'lambda:updateAlias').map((c) => c.input);
    expect(aliases).toEqual([
      {
        FunctionName: 'churn-scorer',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
      },
      {
        FunctionName: 'churn-scorer',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } },
      },
      {
        FunctionName: 'churn-scorer',
        Name: 'live',
        FunctionVersion: '2',
        RoutingConfig: { AdditionalVersionWeights: {} },
      },
    ]);
    expect(record).toMatchObject({
      outcome: 'promoted',
      target: { target: 'lambda-alias', version: '2', previousVersion: '1', percent: 100 },
      verification: { verdict: 'pass' },
    });
    expect(sequence.length).toBeGreaterThan(0);
  });

  it('sends all traffic back to the serving version when a stage fails verification', async () => {
    await firstChampion(LAMBDA);
    const before = (await calls()).length;
    const { record } = await retrain(0.1);
    expect(record).toMatchObject({ outcome: 'rolled-back', championAfter: 1, target: { percent: 10 } });
    expect((await getChampion(stack.ctx, 'churn'))?.version).toBe(1);
    const events = (await readFile(join(stack.home, 'events.jsonl'), 'utf8')).trim().split('\n');
    expect(JSON.parse(events.at(-1) ?? '{}')).toMatchObject({
      'detail-type': 'Kaizen Model Rolled Back',
      detail: { championAfter: 1, target: { target: 'lambda-alias', version: '3', previousVersion: '2' } },
    });
    const aliases = (await calls())
      .slice(before)
      .filter((c) => c.target === 'lambda:updateAlias')
      .map((c) => c.input);
    expect(aliases).toEqual([
      {
        FunctionName: 'churn-scorer',
        Name: 'live',
        FunctionVersion: '2',
        RoutingConfig: { AdditionalVersionWeights: { '3': 0.1 } },
      },
      {
        FunctionName: 'churn-scorer',
        Name: 'live',
        FunctionVersion: '2',
        RoutingConfig: { AdditionalVersionWeights: {} },
      },
    ]);
  });

  it("judges a stage on the candidate's own traffic when KPI rows say which version served them", async () => {
    await firstChampion(LAMBDA);
    await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
    // Before: 0.3. During the first stage the total (0.335) looks better than before, but the candidate's 10%
    // of the traffic converts at 0.2 against the champion's 0.35.
    const row = (value: number, count: number, version: number) => ({
      ...precision(hours(T1, 6), value, count),
      version,
    });
    await observe(stack.ctx, precision(hours(T1, -6), 0.3), row(0.35, 3600, 1), row(0.2, 400, 2));
    const { record } = await stack.run({ asOf: T1, force: true });
    expect(record).toMatchObject({ outcome: 'rolled-back', championAfter: 1, target: { percent: 10 } });
    expect(record?.verification?.reasons[0]).toBe("v2's traffic compared with v1's over the same period");
    expect(record?.verification?.after).toEqual([
      expect.objectContaining({ metric: 'campaign_precision', value: 0.2, count: 400 }),
    ]);
  });

  it('promotes through the stages when the candidate serves its share as well as the champion', async () => {
    await firstChampion(LAMBDA);
    await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
    const row = (value: number, count: number, version: number) => ({
      ...precision(hours(T1, 6), value, count),
      version,
    });
    await observe(stack.ctx, precision(hours(T1, -6), 0.3), row(0.3, 3600, 1), row(0.31, 4000, 2));
    const { record } = await stack.run({ asOf: T1, force: true });
    expect(record).toMatchObject({ outcome: 'promoted', championAfter: 2, target: { percent: 100 } });
  });
});
