import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { StackOutput } from '#contracts/outputs.ts';
import type { RunRecord } from '#domain/record.ts';
import type { SweepState } from '#domain/sweep.ts';
import { createContext, type KaizenConfig } from '#runtime/context.ts';
import { stepFunctionsStarter } from '#runtime/loops.ts';
import type { Backend, SweepResult } from './backend.ts';
import { UsageError } from './io.ts';

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
    states: async () => sfn,
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
