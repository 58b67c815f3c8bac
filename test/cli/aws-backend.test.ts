import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { awsBackend } from '../../cli/aws-backend.ts';

// CloudFormation and Step Functions have no local implementation: these clients answer from a table of
// canned responses (a middleware that short-circuits the request), so the CLI's AWS mode logic is exercised.
type Answer = (input: Record<string, unknown>) => Record<string, unknown>;

/** The slice of a client's middleware stack used here (the two clients' stacks differ only in types). */
interface Stack {
  add(
    middleware: (
      next: unknown,
      context: { commandName?: string },
    ) => (args: { input: unknown }) => Promise<{ output: unknown; response: unknown }>,
    options: { step: 'initialize'; name: string },
  ): void;
}

function cannedClient<T extends CloudFormationClient | SFNClient>(
  client: T,
  answers: Record<string, Answer>,
) {
  const seen: { command: string; input: Record<string, unknown> }[] = [];
  (client.middlewareStack as unknown as Stack).add(
    (_next, context) => async (args) => {
      const command = context.commandName ?? '';
      const answer = answers[command];
      if (!answer) throw new Error(`unexpected ${command}`);
      const input = args.input as Record<string, unknown>;
      seen.push({ command, input });
      return { output: { $metadata: {}, ...answer(input) }, response: {} };
    },
    { step: 'initialize', name: 'canned' },
  );
  return { client, seen };
}

const OUTPUTS = {
  MetricsTableName: 'prod-metrics',
  RegistryTableName: 'prod-registry',
  RunsTableName: 'prod-runs',
  BucketName: 'prod-bucket',
  ImprovementLoopArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:loop',
  FleetSweepArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:sweep',
};

const stackWith = (outputs: Record<string, string>) =>
  cannedClient(new CloudFormationClient({ region: 'eu-west-1' }), {
    DescribeStacksCommand: () => ({
      Stacks: [
        { Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) },
      ],
    }),
  });

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('AWS mode', () => {
  it('points the stores at the stack outputs', async () => {
    const backend = await awsBackend('KaizenLoop', { cloudFormation: stackWith(OUTPUTS).client });
    expect(backend.local).toBe(false);
    expect(backend.ctx.config).toEqual({
      metricsTable: 'prod-metrics',
      registryTable: 'prod-registry',
      runsTable: 'prod-runs',
      bucket: 'prod-bucket',
    });
    // Explicit context: the stack's names reach the stores without touching the process environment.
    expect(process.env).toEqual(saved);
  });

  it('refuses a stack without the Kaizen Loop outputs, naming the missing one', async () => {
    const { BucketName: _missing, ...rest } = OUTPUTS;
    await expect(awsBackend('Other', { cloudFormation: stackWith(rest).client })).rejects.toThrow(
      'stack Other has no output BucketName; is it a Kaizen Loop stack?',
    );
  });

  it('starts the improvement loop and polls until it succeeds, returning the run record', async () => {
    let polls = 0;
    const sfn = cannedClient(new SFNClient({ region: 'eu-west-1' }), {
      StartExecutionCommand: (input) => ({ executionArn: `${input.stateMachineArn}:${input.name}` }),
      DescribeExecutionCommand: () =>
        ++polls < 3
          ? { status: 'RUNNING' }
          : { status: 'SUCCEEDED', output: JSON.stringify({ modelId: 'churn', outcome: 'no-action' }) },
    });
    const backend = await awsBackend('KaizenLoop', {
      cloudFormation: stackWith(OUTPUTS).client,
      sfn: sfn.client,
      pollMs: 1,
    });
    const result = await backend.runLoop({ modelId: 'churn', force: true, dryRun: false }, 'manual-churn-1');
    expect(result).toEqual({
      executionName: 'manual-churn-1',
      status: 'SUCCEEDED',
      record: { modelId: 'churn', outcome: 'no-action' },
    });
    expect(sfn.seen[0]).toEqual({
      command: 'StartExecutionCommand',
      input: {
        stateMachineArn: OUTPUTS.ImprovementLoopArn,
        name: 'manual-churn-1',
        input: '{"modelId":"churn","force":true,"dryRun":false}',
      },
    });
    expect(polls).toBe(3);
  });

  it('reports a failed execution with its error and cause', async () => {
    const sfn = cannedClient(new SFNClient({ region: 'eu-west-1' }), {
      StartExecutionCommand: () => ({ executionArn: 'arn' }),
      DescribeExecutionCommand: () => ({
        status: 'FAILED',
        error: 'ImprovementLoopFailed',
        cause: 'see the run record',
      }),
    });
    const backend = await awsBackend('KaizenLoop', {
      cloudFormation: stackWith(OUTPUTS).client,
      sfn: sfn.client,
      pollMs: 1,
    });
    const result = await backend.runLoop({ modelId: 'churn', force: false, dryRun: false }, 'manual-2');
    expect(result).toMatchObject({
      status: 'FAILED',
      error: { name: 'ImprovementLoopFailed', cause: 'see the run record' },
    });
  });

  it('runs the Express fleet sweep synchronously and reads its totals', async () => {
    const totals = { models: 3, none: 2, watch: 0, retrain: 1, blocked: 0, started: 1, duplicates: 0 };
    const sfn = cannedClient(new SFNClient({ region: 'eu-west-1' }), {
      StartSyncExecutionCommand: () => ({
        status: 'SUCCEEDED',
        output: JSON.stringify({ cursor: null, pages: 1, totals }),
      }),
    });
    const backend = await awsBackend('KaizenLoop', {
      cloudFormation: stackWith(OUTPUTS).client,
      sfn: sfn.client,
    });
    const result = await backend.runSweep({ pageSize: 100 }, 'sweep-1');
    expect(result).toMatchObject({ status: 'SUCCEEDED', pages: 1, totals, loops: [] });
    expect(sfn.seen[0]?.input).toMatchObject({ stateMachineArn: OUTPUTS.FleetSweepArn, name: 'sweep-1' });
  });
});
