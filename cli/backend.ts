import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import { LocalHomeError } from '#contracts/errors.ts';
import type { StackOutput } from '#contracts/outputs.ts';
import { FLEET_SWEEP_ASL, IMPROVEMENT_LOOP_ASL } from '#contracts/workflows.ts';
import type { Observation } from '#domain/observations.ts';
import type { RunRecord } from '#domain/record.ts';
import type { ModelCheck, RunInput } from '#domain/run.ts';
import type { SweepState } from '#domain/sweep.ts';
import { LocalEngine, type LocalEngineOptions, type LocalRunOptions } from '#local/engine.ts';
import { LOCAL_REGION } from '#local/lambda-context.ts';
import { attachLocalStack, LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '#local/stack.ts';
import { streamRecords } from '#local/streams.ts';
import { createContext, type KaizenConfig, type KaizenContext } from '#runtime/context.ts';
import { stepFunctionsStarter } from '#runtime/loops.ts';
import { recordInterrupted } from '../functions/record/interrupted.ts';
import { triggerFromRecords } from '../functions/trigger/trigger.ts';
import { UsageError } from './io.ts';

/** How an improvement-loop execution ended. */
export interface LoopResult {
  executionName: string;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  record?: RunRecord;
  error?: { name: string; cause: string };
}

/** How a fleet sweep ended, with the loops it started (locally they are awaited; on AWS they run on). */
export interface SweepResult {
  executionName: string;
  status: string;
  totals?: SweepState['totals'];
  pages?: number;
  error?: { name: string; cause: string };
  loops: LoopResult[];
  /** Executions the sweep went on in after its first ran out of time (locally awaited). */
  continuedIn?: string[];
}

/** Where the CLI's commands act: the embedded local stack or a deployed stack. */
export interface Backend {
  readonly description: string;
  readonly local: boolean;
  /** The stores' context: clients and names of the backend's tables and bucket. */
  readonly ctx: KaizenContext;
  /** Step Functions, for answering callback tasks (locally: the running stack's loopback API). */
  readonly states: SFNClient;
  runLoop(input: RunInput, executionName: string, options?: LocalRunOptions): Promise<LoopResult>;
  /** Runs the fleet sweep, as the schedule does. */
  runSweep(input: Record<string, unknown>, executionName: string): Promise<SweepResult>;
  /** Waits for loops started in the background (by a sweep or a trigger) and returns their results. */
  drain(): Promise<LoopResult[]>;
  /**
   * What happens after observations were stored: on AWS the metrics table's stream feeds the trigger
   * function (nothing to do here); locally the same trigger code runs on stream-shaped records of them.
   */
  stored(observations: readonly Observation[]): Promise<ModelCheck[]>;
  /**
   * The command is being stopped (SIGINT, SIGTERM). Locally the loops run in this process: they are aborted,
   * an unverified alias move is taken back, each run is recorded as failed and its lock released. On AWS the
   * executions go on without the CLI; nothing to do.
   */
  interrupt(reason: string): Promise<RunRecord[]>;
  close(): Promise<void>;
}

const PROJECT_ROOT = resolve(import.meta.dirname, '..');

/** The embedded stack: dynalite + s3rver on loopback, state machine run in-process. */
export async function localBackend(
  home: string,
  logLevel = 'SILENT',
  engineOptions: Pick<LocalEngineOptions, 'wrapHandler'> = {},
  access: { shared?: boolean } = {},
): Promise<Backend & { stack: LocalStack }> {
  // A read-only command may use the stack of a command that is running on the same home.
  const stack = await startLocalStack({ home, logLevel }).catch((error: unknown) => {
    if (access.shared && error instanceof LocalHomeError && error.busy) return attachLocalStack(home, 3000);
    throw error;
  });
  // Loops started by sweeps and triggers run in the background, as StartExecution would; drain() awaits them.
  let started: Promise<LoopResult>[] = [];
  const ctx = stack.context({
    async start(name, input) {
      started.push(runLoop(input, name));
    },
  });
  const engine = new LocalEngine({
    home,
    root: PROJECT_ROOT,
    context: ctx,
    ...(stack.callbacks ? { callbacks: stack.callbacks } : {}),
    ...engineOptions,
  });
  const states = new SFNClient({
    endpoint: stack.endpoints.states,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  // Loops in flight, so an interrupted command can settle them.
  const inFlight = new Map<string, { input: RunInput; startTime: string }>();
  const runLoop = async (
    input: RunInput,
    executionName: string,
    options?: LocalRunOptions,
  ): Promise<LoopResult> => {
    inFlight.set(executionName, { input, startTime: new Date().toISOString() });
    const execution = await engine
      .run(IMPROVEMENT_LOOP_ASL, input, { executionName, ...options })
      .finally(() => inFlight.delete(executionName));
    const result: LoopResult = { executionName, status: execution.status };
    if (execution.status === 'SUCCEEDED') result.record = execution.output as RunRecord;
    if (execution.error) result.error = execution.error;
    return result;
  };
  const drain = async () => {
    const results: LoopResult[] = [];
    while (started.length > 0) {
      const batch = started;
      started = [];
      results.push(...(await Promise.all(batch)));
    }
    return results;
  };
  return {
    stack,
    local: true,
    ctx,
    states,
    description: `local stack in ${home}`,
    runLoop,
    async runSweep(input, executionName) {
      // A long sweep goes on in new executions (continue-as-new): the last of the chain has the totals.
      const first = await engine.run(FLEET_SWEEP_ASL, input, { executionName });
      const chain = [first, ...(await engine.settleBackground())];
      const failed = chain.find((execution) => execution.status !== 'SUCCEEDED');
      const last = chain.at(-1) ?? first;
      const state = (failed ? undefined : last.output) as SweepState | undefined;
      const result: SweepResult = {
        executionName,
        status: (failed ?? last).status,
        loops: await drain(),
      };
      if (chain.length > 1) result.continuedIn = chain.slice(1).map((execution) => execution.executionName);
      if (state) Object.assign(result, { totals: state.totals, pages: state.pages });
      if (failed?.error) result.error = failed.error;
      return result;
    },
    drain,
    async stored(observations) {
      if (observations.length === 0) return [];
      return triggerFromRecords(ctx, streamRecords(observations), `ingest-${Date.now()}`);
    },
    async interrupt(reason) {
      const runs = [...inFlight.entries()];
      await engine.abortAll();
      started = [];
      const records: RunRecord[] = [];
      for (const [executionName, { input, startTime }] of runs) {
        const record = await recordInterrupted(ctx, {
          modelId: input.modelId,
          executionName,
          startTime,
          ...(input.asOf ? { asOf: input.asOf } : {}),
          reason,
        });
        if (record) records.push(record);
      }
      return records;
    },
    async close() {
      await drain();
      ctx.close();
      states.destroy();
      await stack.stop();
    },
  };
}

/** Output keys of the deployed stack and the configuration they fill. */
const OUTPUTS: Record<keyof KaizenConfig, StackOutput> = {
  metricsTable: 'MetricsTableName',
  registryTable: 'RegistryTableName',
  runsTable: 'RunsTableName',
  bucket: 'BucketName',
};

/** A deployed stack, found by name through its CloudFormation outputs; credentials from the usual chain. */
export async function awsBackend(
  stackName: string,
  options: { pollMs?: number; cloudFormation?: CloudFormationClient; sfn?: SFNClient } = {},
): Promise<Backend> {
  const pollMs = options.pollMs ?? 5_000;
  const cloudFormation = options.cloudFormation ?? new CloudFormationClient({});
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map(
    (Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]),
  );
  const config = {} as Record<keyof KaizenConfig, string>;
  for (const [field, key] of Object.entries(OUTPUTS) as [keyof KaizenConfig, StackOutput][]) {
    const value = outputs.get(key);
    if (!value) throw new UsageError(`stack ${stackName} has no output ${key}; is it a Kaizen Loop stack?`);
    config[field] = value;
  }
  const stateMachineArn = outputs.get('ImprovementLoopArn' satisfies StackOutput);
  const sweepArn = outputs.get('FleetSweepArn' satisfies StackOutput);
  if (!stateMachineArn || !sweepArn) {
    throw new UsageError(`stack ${stackName} lacks the ImprovementLoopArn and FleetSweepArn outputs`);
  }
  const sfn = options.sfn ?? new SFNClient({});
  const ctx = createContext({ config, loops: stepFunctionsStarter(stateMachineArn, sfn) });
  return {
    description: `stack ${stackName}`,
    local: false,
    ctx,
    states: sfn,
    async runSweep(input, executionName) {
      // The sweep is an Express workflow: run it synchronously and read its output.
      const execution = await sfn.send(
        new StartSyncExecutionCommand({
          stateMachineArn: sweepArn,
          name: executionName,
          input: JSON.stringify(input),
        }),
      );
      const result: SweepResult = { executionName, status: execution.status ?? 'UNKNOWN', loops: [] };
      if (execution.status === 'SUCCEEDED') {
        const state = JSON.parse(execution.output ?? '{}') as SweepState;
        Object.assign(result, { totals: state.totals, pages: state.pages });
      } else {
        result.error = { name: execution.error ?? 'Failed', cause: execution.cause ?? '' };
      }
      return result;
    },
    async drain() {
      return [];
    },
    async stored() {
      return [];
    },
    async interrupt() {
      return [];
    },
    async runLoop(input, executionName) {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }),
      );
      for (;;) {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        if (execution.status === 'SUCCEEDED') {
          return {
            executionName,
            status: 'SUCCEEDED',
            record: JSON.parse(execution.output ?? '{}') as RunRecord,
          };
        }
        if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') {
          return {
            executionName,
            status:
              execution.status === 'TIMED_OUT' || execution.status === 'ABORTED'
                ? execution.status
                : 'FAILED',
            error: { name: execution.error ?? execution.status ?? 'Failed', cause: execution.cause ?? '' },
          };
        }
        await new Promise((done) => setTimeout(done, pollMs));
      }
    },
    async close() {
      ctx.close();
      cloudFormation.destroy();
      sfn.destroy();
    },
  };
}
