import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionName } from '#contracts/steps.ts';
import { FLEET_SWEEP_ASL, IMPROVEMENT_LOOP_ASL } from '#contracts/workflows.ts';
import { type ModelPolicy, parsePolicy } from '#domain/policy.ts';
import type { RunRecord } from '#domain/record.ts';
import type { RunInput } from '#domain/run.ts';
import type { SweepState } from '#domain/sweep.ts';
import { LocalEngine } from '#local/engine.ts';
import {
  type IamProxy,
  localBucketArn,
  localTableArn,
  type PolicyStatement,
  RecordedExecutions,
  startIamProxy,
} from '#local/iam-proxy.ts';
import { ProcessLambdas } from '#local/integrations/process-lambda.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '#local/lambda-context.ts';
import { LOCAL_BUCKET, LOCAL_TABLES, type LocalStack, startLocalStack } from '#local/stack.ts';
import { streamRecords } from '#local/streams.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getText, putText } from '#stores/artifacts.ts';
import { getChampion } from '#stores/champion.ts';
import { listChecks } from '#stores/checks.ts';
import { queryObservations } from '#stores/observations.ts';
import { putPolicy } from '#stores/policies.ts';
import { listRuns } from '#stores/runs.ts';
import { customers, random, toCsv } from '../../cli/demo/world.ts';
import { observe, precision, ROOT, withSingleWindowKpis, writeDatasets } from '../support/loop.ts';
import { type SynthesizedFunction, synthesizeFunctions } from '../support/synthesized.ts';

// Every function runs as what CDK deploys: its synthesized bundle, in its own Node.js process, with the
// environment of the template and only the grants of its role (enforced by a loopback proxy in front of the
// local DynamoDB, S3 and Step Functions), driven by the real state-machine files. A grant the code needs and
// the role lacks fails the run with AccessDenied, as it would on AWS.

const LOOP_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:kaizen-improvement-loop`;
const T0 = '2026-11-10T00:00:00.000Z';
const T1 = '2026-11-20T00:00:00.000Z';
const hours = (iso: string, h: number) => new Date(Date.parse(iso) + h * 3_600_000).toISOString();
const LOOP_STEPS_OF_A_PROMOTION = ['monitor', 'analyze', 'train', 'evaluate', 'deploy', 'verify', 'record'];

let home: string;
let stack: LocalStack;
/** The test's own view of the stores, to prepare data and read results (never used by a step). */
let ctx: KaizenContext;
let synthesized: ReturnType<typeof synthesizeFunctions>;
let executions: RecordedExecutions;
let proxies: Record<FunctionName, IamProxy>;
let lambdas: ProcessLambdas;
let engine: LocalEngine;

const functionNames = Object.keys(FUNCTIONS) as FunctionName[];
const fn = (name: FunctionName): SynthesizedFunction => synthesized.functions[name];

/** What the Lambda service adds to a function's own environment, here pointing every client at its proxy. */
function sandboxEnvironment(function_: SynthesizedFunction, proxy: IamProxy): Record<string, string> {
  return {
    ...function_.environment,
    TZ: 'UTC',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    // s3rver accepts only these credentials.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    AWS_ENDPOINT_URL_S3: proxy.endpoint,
    AWS_ENDPOINT_URL_SFN: proxy.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: proxy.endpoint,
    KAIZEN_S3_FORCE_PATH_STYLE: 'true',
    // Without these the SDK streams uploads with aws-chunked framing, which s3rver stores verbatim.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
}

beforeAll(async () => {
  synthesized = synthesizeFunctions(LOOP_ARN);
  home = await mkdtemp(join(tmpdir(), 'kaizen-iam-'));
  stack = await startLocalStack({ home });
  ctx = stack.context({
    start: () => Promise.reject(new Error('the test itself starts no loop')),
  });
  executions = new RecordedExecutions([LOOP_ARN]);
  const started = await Promise.all(
    functionNames.map(async (name) => {
      const proxy = await startIamProxy({
        principal: fn(name).principal,
        statements: fn(name).statements,
        upstream: stack.endpoints,
        executions,
      });
      return [name, proxy] as const;
    }),
  );
  proxies = Object.fromEntries(started) as Record<FunctionName, IamProxy>;
  lambdas = new ProcessLambdas(
    Object.fromEntries(
      functionNames.map((name) => [
        name,
        {
          module: fn(name).bundle,
          environment: sandboxEnvironment(fn(name), proxies[name]),
          memoryMb: fn(name).memoryMb,
          timeoutSeconds: fn(name).timeoutSeconds,
        },
      ]),
    ),
  );
  // Cold-starts every function at once (the runs below would otherwise pay them one by one).
  await lambdas.start();
  // The Lambda Tasks go to the processes; only the SNS Task stays on the built-in (file) integration.
  engine = new LocalEngine({ home, root: ROOT, integrations: [lambdas] });
});

afterAll(async () => {
  await lambdas?.close();
  await Promise.all(Object.values(proxies ?? {}).map((proxy) => proxy.close()));
  ctx?.close();
  await stack?.stop();
  if (home) await rm(home, { recursive: true, force: true });
  synthesized?.cleanup();
});

beforeEach(() => {
  for (const name of functionNames) {
    proxies[name].denials.length = 0;
    proxies[name].calls.length = 0;
    proxies[name].statements = fn(name).statements;
  }
  lambdas.invocations.length = 0;
  executions.take();
});

/** Every call any function's role did not allow, as `function: action on resource`. */
function denials(): string[] {
  return functionNames.flatMap((name) =>
    proxies[name].denials.map(
      (d) => `${name}: ${d.action} on ${d.resource}${d.reason ? ` (${d.reason})` : ''}`,
    ),
  );
}

/** The example churn policy under another model id, with datasets of its own. */
async function register(modelId: string): Promise<ModelPolicy> {
  const example = JSON.parse(await readFile(join(ROOT, 'examples/churn-policy.json'), 'utf8'));
  const policy = parsePolicy({
    ...withSingleWindowKpis(example),
    modelId,
    training: { ...example.training, dataset: `datasets/${modelId}/train.csv` },
    evaluation: { ...example.evaluation, holdout: `datasets/${modelId}/holdout.csv` },
    monitoring: { ...example.monitoring, current: `datasets/${modelId}/traffic/{date}.csv` },
  });
  await putPolicy(ctx, policy);
  return policy;
}

const kpi = (modelId: string, timestamp: string, value: number) => ({
  ...precision(timestamp, value),
  modelId,
});
/** The key of the traffic dataset of the window ending at `windowEnd` (named by its start date). */
const trafficKey = (modelId: string, windowEnd: string) =>
  `datasets/${modelId}/traffic/${hours(windowEnd, -24).slice(0, 10)}.csv`;

/**
 * Runs the improvement loop. `result` puts side by side what a failing assertion should show: the status, the
 * run record's outcome and error (a failed run's from the runs table), and every call a role denied.
 */
async function runLoop(input: RunInput, executionName: string) {
  const execution = await engine.run(IMPROVEMENT_LOOP_ASL, input, { executionName });
  const record =
    execution.status === 'SUCCEEDED'
      ? (execution.output as RunRecord)
      : (await listRuns(ctx, input.modelId)).find((run) => run.executionName === executionName);
  return {
    ...execution,
    record,
    result: {
      status: execution.status,
      outcome: record?.outcome,
      error: record?.error?.name,
      denied: denials(),
    },
  };
}

const loopInput = (modelId: string, asOf: string): RunInput => ({
  modelId,
  force: false,
  dryRun: false,
  asOf,
});

/** A registered model whose first run (no champion) trained, deployed and verified v1 at T0. */
async function modelWithChampion(modelId: string): Promise<ModelPolicy> {
  const policy = await register(modelId);
  await writeDatasets(ctx, policy, { seed: 1, shifted: false });
  await observe(ctx, kpi(modelId, hours(T0, 6), 0.3));
  const { result } = await runLoop(loopInput(modelId, T0), `bootstrap-${modelId}`);
  expect(result).toEqual({ status: 'SUCCEEDED', outcome: 'promoted', denied: [] });
  return policy;
}

describe('deployed bundles under their own IAM roles', () => {
  it('reads each function’s bundle, environment and role from the synthesized template', () => {
    const tableArn = localTableArn(LOCAL_TABLES.metrics);
    expect(fn('monitor').environment).toMatchObject({
      KAIZEN_METRICS_TABLE: LOCAL_TABLES.metrics,
      KAIZEN_BUCKET: LOCAL_BUCKET,
    });
    expect(fn('sweep').environment.KAIZEN_IMPROVEMENT_LOOP_ARN).toBe(LOOP_ARN);
    expect(fn('monitor').statements).toContainEqual(
      expect.objectContaining({ actions: expect.arrayContaining(['dynamodb:Query']), resources: [tableArn] }),
    );
    // Analyze touches no store: nothing of its role reaches a table or the bucket.
    expect(
      fn('analyze')
        .statements.flatMap((s) => s.actions)
        .filter((a) => /^(dynamodb|s3):/.test(a)),
    ).toEqual([]);
  });

  it('retrain and promote: a first run trains, evaluates, deploys and verifies v1, each step in its own process, nothing denied', async () => {
    const policy = await register('first');
    await writeDatasets(ctx, policy, { seed: 1, shifted: false });
    await observe(ctx, kpi('first', hours(T0, 6), 0.3));

    const { result, record } = await runLoop(loopInput('first', T0), 'first-run');

    expect(result).toEqual({ status: 'SUCCEEDED', outcome: 'promoted', denied: [] });
    expect(record).toMatchObject({
      championBefore: null,
      championAfter: 1,
      verification: { verdict: 'pass' },
    });
    expect((await getChampion(ctx, 'first'))?.version).toBe(1);
    expect(lambdas.invocations.map((call) => call.name)).toEqual(LOOP_STEPS_OF_A_PROMOTION);
    const pids = new Map(lambdas.invocations.map((call) => [call.name, call.pid]));
    expect(new Set(pids.values()).size).toBe(pids.size);
    expect([...pids.values()]).not.toContain(process.pid);
    // Every step reached the stores through its own proxy (Analyze uses none) ...
    expect(functionNames.filter((name) => proxies[name].calls.length > 0)).toEqual(
      LOOP_STEPS_OF_A_PROMOTION.filter((name) => name !== 'analyze'),
    );
    // ... and Train wrote the model artifact under its own role.
    expect(proxies.train.calls).toContainEqual({
      action: 's3:PutObject',
      resource: expect.stringMatching(/^arn:aws:s3:::kaizen-artifacts\/models\/first\//),
      allowed: true,
    });
    // Record published the promotion on the stack's bus, under its own role.
    const [published] = proxies.record.events.splice(0);
    expect(published).toMatchObject({ Source: 'kaizen-loop', DetailType: 'Kaizen Model Promoted' });
    expect(JSON.parse(published?.Detail ?? '{}')).toMatchObject({ modelId: 'first', championAfter: 1 });
  });

  it('healthy: a champion with good KPIs (and no traffic dataset yet) ends with no action, nothing denied', async () => {
    await modelWithChampion('healthy');
    await observe(ctx, kpi('healthy', hours(T1, -6), 0.31));
    lambdas.invocations.length = 0;

    const { result, record } = await runLoop(loopInput('healthy', T1), 'healthy-run');

    expect(result).toEqual({ status: 'SUCCEEDED', outcome: 'no-action', denied: [] });
    expect(record?.championAfter).toBe(1);
    expect(record?.observed?.drift).toEqual([]);
    expect(lambdas.invocations.map((call) => call.name)).toEqual(['monitor', 'analyze', 'record']);
    // Monitor looked for the window's dataset: a missing key is NoSuchKey (s3:ListBucket), not AccessDenied.
    expect(proxies.monitor.calls).toContainEqual({
      action: 's3:GetObject',
      resource: localBucketArn(LOCAL_BUCKET, trafficKey('healthy', T1)),
      allowed: true,
    });
  });

  it('rolled back: KPIs worse after the deploy make Rollback move the alias back under its own role, nothing denied', async () => {
    const policy = await modelWithChampion('regressed');
    await writeDatasets(ctx, policy, { seed: 2, shifted: true });
    await observe(ctx, kpi('regressed', hours(T1, -6), 0.22), kpi('regressed', hours(T1, 6), 0.12));
    lambdas.invocations.length = 0;

    const { result, record } = await runLoop(loopInput('regressed', T1), 'regressed-run');

    expect(result).toEqual({ status: 'SUCCEEDED', outcome: 'rolled-back', denied: [] });
    expect(record).toMatchObject({ championBefore: 1, championAfter: 1, verification: { verdict: 'fail' } });
    expect((await getChampion(ctx, 'regressed'))?.version).toBe(1);
    expect(lambdas.invocations.map((call) => call.name)).toEqual([
      ...LOOP_STEPS_OF_A_PROMOTION.slice(0, -1),
      'rollback',
      'record',
    ]);
  });

  it('monitored: Monitor, the fleet sweep and the stream trigger compute drift from datasets in S3 and start loops, nothing denied', async () => {
    const T2 = hours(T1, 24);
    const T3 = hours(T1, 48);
    const policy = await modelWithChampion('watched');

    // The loop: the window's traffic has drifted; Monitor reads it and the champion's training snapshot
    // and batch-writes the drift and quality rows; the drift alone retrains and promotes v2.
    await putText(ctx, trafficKey('watched', T1), toCsv([customers(random(5), 1000, true)]));
    await writeDatasets(ctx, policy, { seed: 2, shifted: true });
    await observe(ctx, kpi('watched', hours(T1, -6), 0.31), kpi('watched', hours(T1, 6), 0.45));
    const loop = await runLoop(loopInput('watched', T1), 'watched-run');
    expect(loop.result).toEqual({ status: 'SUCCEEDED', outcome: 'promoted', denied: [] });
    expect(loop.record?.observed?.drift.find((d) => d.feature === 'monthly_charges')).toMatchObject({
      method: 'psi',
      drifted: true,
    });
    const window1 = await queryObservations(ctx, 'watched', { start: hours(T1, -24), end: T1 });
    expect(window1.filter((o) => o.type === 'drift')).toHaveLength(3);
    expect(proxies.monitor.calls).toContainEqual({
      action: 'dynamodb:BatchWriteItem',
      resource: localTableArn(LOCAL_TABLES.metrics),
      allowed: true,
    });

    // The fleet sweep on the next window: v2 was trained on shifted data and the traffic is back to the old
    // world, so the sweep's own drift computation says retrain and it starts the loop through Step Functions.
    await putText(ctx, trafficKey('watched', T2), toCsv([customers(random(6), 1000, false)]));
    const sweep = await engine.run(FLEET_SWEEP_ASL, { at: hours(T2, 1) }, { executionName: 'sweep-1' });
    expect({ status: sweep.status, error: sweep.error, denied: denials() }).toEqual({
      status: 'SUCCEEDED',
      denied: [],
    });
    expect((sweep.output as SweepState).totals.started).toBeGreaterThanOrEqual(1);
    const window2 = await queryObservations(ctx, 'watched', { start: T1, end: T2 });
    expect(window2.filter((o) => o.type === 'drift')).toHaveLength(3);
    // The sweep checks every registered model (those of the other tests too); this test looks at its own.
    const ofWatched = () =>
      executions.take().filter((execution) => (execution.input as RunInput).modelId === 'watched');
    const [fromSweep, ...others] = ofWatched();
    expect(others).toEqual([]);
    expect(fromSweep).toMatchObject({
      stateMachineArn: LOOP_ARN,
      name: 'auto-watched-20261121T000000Z',
      input: { modelId: 'watched', asOf: T2, force: false, dryRun: false },
    });
    expect((await listChecks(ctx, 'watched', [hours(T2, 1).slice(0, 10)]))[0]).toMatchObject({
      source: 'sweep',
      action: 'retrain',
      start: 'started',
    });

    // The execution the sweep started runs as Step Functions would run it.
    const started = await runLoop(fromSweep?.input as RunInput, fromSweep?.name as string);
    expect(started.result).toEqual({ status: 'SUCCEEDED', outcome: 'rejected', denied: [] });
    expect(started.record?.decision?.action).toBe('retrain');

    // The stream trigger (no workflow calls it): a new KPI record of the window after that, whose traffic
    // dataset has drifted too, makes it compute that window's drift and start the loop.
    await putText(ctx, trafficKey('watched', T3), toCsv([customers(random(7), 1000, false)]));
    const records = [kpi('watched', hours(T3, -6), 0.3)];
    await observe(ctx, ...records);
    const triggered = await lambdas.invoke('trigger', { Records: streamRecords(records) }).catch((e) => e);
    expect({ triggered, denied: denials() }).toEqual({ triggered: { checked: 1 }, denied: [] });
    const window3 = await queryObservations(ctx, 'watched', { start: T2, end: T3 });
    expect(window3.filter((o) => o.type === 'drift')).toHaveLength(3);
    expect(ofWatched()).toEqual([
      expect.objectContaining({
        name: 'auto-watched-20261122T000000Z',
        input: expect.objectContaining({ asOf: T3 }),
      }),
    ]);

    expect(denials()).toEqual([]);
  });

  it('ways in: the drop folder, a dataset arrival, a Kaizen Observation event, the API and the pull store rows under their own roles, nothing denied', async () => {
    await register('producer');
    const row = (hour: number, value: number) =>
      JSON.stringify({ ...kpi('producer', hours(T1, hour), value), type: 'kpi' });

    // A file dropped under ingest/: read, stored, reported beside its key, moved within ingest/ (copy, delete).
    await putText(ctx, 'ingest/team/batch.jsonl', `${row(1, 0.3)}\n${row(2, 'bad' as unknown as number)}\n`);
    const s3Event = { Records: [{ s3: { object: { key: 'ingest/team/batch.jsonl' } } }] };
    const dropped = await lambdas.invoke('ingest', s3Event).catch((e) => e);
    expect({ dropped, denied: denials() }).toEqual({
      dropped: { files: [{ key: 'ingest/team/batch.jsonl', status: 'failed', stored: 1, rejected: 1 }] },
      denied: [],
    });
    expect(JSON.parse(await getText(ctx, 'ingest/team/batch.jsonl.report.json'))).toMatchObject({
      movedTo: 'ingest/failed/team/batch.jsonl',
      rejected: [{ line: 2 }],
    });
    expect(proxies.ingest.calls).toContainEqual({
      action: 's3:DeleteObject',
      resource: localBucketArn(LOCAL_BUCKET, 'ingest/team/batch.jsonl'),
      allowed: true,
    });
    const [rejection] = proxies.ingest.events.splice(0);
    expect(rejection).toMatchObject({ Source: 'kaizen-loop', DetailType: 'Kaizen Observations Rejected' });
    // The notification of the moved file is skipped.
    const moved = { Records: [{ s3: { object: { key: 'ingest/failed/team/batch.jsonl' } } }] };
    expect(await lambdas.invoke('ingest', moved)).toEqual({
      files: [
        { key: 'ingest/failed/team/batch.jsonl', status: 'skipped: not a drop file', stored: 0, rejected: 0 },
      ],
    });

    // A window dataset created under datasets/: its arrival is recorded for the model awaiting it.
    const arrivedKey = 'datasets/producer/traffic/2026-11-19.csv';
    const arrival = {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          eventTime: hours(T1, 2),
          s3: { object: { key: arrivedKey, size: 10 } },
        },
      ],
    };
    const arrived = await lambdas.invoke('ingest', arrival).catch((e) => e);
    expect({ arrived, denied: denials() }).toEqual({
      arrived: { files: [], arrivals: [{ key: arrivedKey, models: ['producer'] }] },
      denied: [],
    });

    // An event from the stack's bus, and a signed API request as API Gateway hands it over.
    const event = {
      id: 'e1',
      source: 'com.example',
      'detail-type': 'Kaizen Observation',
      detail: JSON.parse(row(3, 0.31)),
    };
    expect(await lambdas.invoke('ingest', event)).toEqual({
      event: 'e1',
      stored: 1,
      unchanged: 0,
      rejected: 0,
    });
    const request = {
      httpMethod: 'POST',
      resource: '/observations',
      path: '/observations',
      pathParameters: null,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ observations: [JSON.parse(row(3, 0.31)), JSON.parse(row(4, 0.29))] }),
      isBase64Encoded: false,
    };
    const answer = (await lambdas.invoke('api', request)) as { statusCode: number; body: string };
    expect({ status: answer.statusCode, body: JSON.parse(answer.body), denied: denials() }).toMatchObject({
      status: 201,
      body: { stored: 1, unchanged: 1 },
      denied: [],
    });
    const status = (await lambdas.invoke('api', {
      ...request,
      httpMethod: 'GET',
      resource: '/models/{id}/status',
      path: '/models/producer/status',
      pathParameters: { id: 'producer' },
      body: null,
    })) as { statusCode: number; body: string };
    expect({ status: status.statusCode, body: JSON.parse(status.body) }).toMatchObject({
      status: 200,
      body: { modelId: 'producer', state: 'idle' },
    });
    // No policy here names a CloudWatch source: the pull lists the models and calls nothing else.
    expect(await lambdas.invoke('pull', {})).toEqual({ models: 0, stored: 0, rejected: 0 });
    expect(
      (await queryObservations(ctx, 'producer', { start: T1, end: hours(T1, 24) })).map((o) => o.timestamp),
    ).toEqual([hours(T1, 1), hours(T1, 3), hours(T1, 4)]);
    expect(denials()).toEqual([]);
  });

  /** The role of `name` without the given actions (on every resource, or only on `resource`). */
  const without = (name: FunctionName, actions: RegExp, resource?: string): PolicyStatement[] =>
    fn(name).statements.map((statement) =>
      resource !== undefined && !statement.resources.includes(resource)
        ? statement
        : { ...statement, actions: statement.actions.filter((action) => !actions.test(action)) },
    );

  it.each([
    {
      case: 'no S3 grants: reading the window’s dataset',
      role: () => without('monitor', /^s3:/),
      traffic: true,
      error: 'AccessDenied',
      message: 'is not authorized to perform: s3:GetObject',
      denied: (modelId: string) => ({
        action: 's3:GetObject',
        resource: localBucketArn(LOCAL_BUCKET, trafficKey(modelId, T1)),
      }),
    },
    {
      case: 'no dynamodb:BatchWriteItem on the metrics table: storing the computed drift',
      role: () => without('monitor', /^dynamodb:BatchWriteItem$/, localTableArn(LOCAL_TABLES.metrics)),
      traffic: true,
      error: 'AccessDeniedException',
      message: 'is not authorized to perform: dynamodb:BatchWriteItem',
      denied: () => ({ action: 'dynamodb:BatchWriteItem', resource: localTableArn(LOCAL_TABLES.metrics) }),
    },
    {
      case: 'no s3:ListBucket: a window without its dataset yet reads as AccessDenied, not as missing',
      role: () => without('monitor', /^s3:ListBucket$/),
      traffic: false,
      error: 'AccessDenied',
      message: 'Access Denied',
      denied: () => ({ action: 's3:ListBucket', resource: localBucketArn(LOCAL_BUCKET) }),
    },
  ])('a Monitor role with $case fails the run with $error, and the denial is recorded', async (example) => {
    const modelId = `denied-${example.error}-${example.traffic}`.toLowerCase();
    await modelWithChampion(modelId);
    if (example.traffic) {
      await putText(ctx, trafficKey(modelId, T1), toCsv([customers(random(5), 1000, true)]));
    }
    await observe(ctx, kpi(modelId, hours(T1, -6), 0.31));
    proxies.monitor.statements = example.role();

    const { result, error, record } = await runLoop(loopInput(modelId, T1), `${modelId}-run`);

    expect(result).toMatchObject({ status: 'FAILED', outcome: 'failed', error: example.error });
    expect(error?.name).toBe('ImprovementLoopFailed');
    expect(record?.error?.message).toContain(example.message);
    expect(proxies.monitor.denials).toEqual([expect.objectContaining(example.denied(modelId))]);
    // Only Monitor's role was reduced: every other function got what it asked for.
    expect(denials().filter((line) => !line.startsWith('monitor:'))).toEqual([]);
  });
});
