import type { SFNClient } from '@aws-sdk/client-sfn';
import type { RunInput } from '#domain/run.ts';
import type { LoopStarter } from './context.ts';

/**
 * Starts the improvement loop on Step Functions; a same-name execution is already a no-op. The SDK package is
 * imported at the first start (most invocations start no loop).
 */
export function stepFunctionsStarter(stateMachineArn: string, client?: SFNClient): LoopStarter {
  let sfn = client;
  return {
    async start(name: string, input: RunInput) {
      const { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } = await import(
        '@aws-sdk/client-sfn'
      );
      sfn ??= new SFNClient({});
      try {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      } catch (error) {
        // A same-name execution with the same input is already a no-op; one with other input is a duplicate too.
        if (!(error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists'))
          throw error;
      }
    },
  };
}
