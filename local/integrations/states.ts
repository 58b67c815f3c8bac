import { STATES_START_EXECUTION } from '#contracts/workflows.ts';
import type { LocalIntegration } from './types.ts';

/** Starts an execution of a state machine by ARN, in the background; resolves to its execution ARN. */
export type ExecutionStarter = (stateMachineArn: string, name: string, input: unknown) => string;

/**
 * The local Step Functions `states:startExecution` integration (request-response, as on AWS): the execution
 * is started and the task returns at once with its ARN and start date.
 */
export function statesIntegration(start: ExecutionStarter): LocalIntegration {
  return {
    target: (resource) => (resource === STATES_START_EXECUTION ? 'states:startExecution' : undefined),
    async run({ state, input, beforeTask }) {
      await beforeTask?.({ state, step: 'states:startExecution', input });
      const { StateMachineArn, Name, Input } = (input ?? {}) as {
        StateMachineArn?: string;
        Name?: string;
        Input?: unknown;
      };
      if (!StateMachineArn || !Name) {
        throw Object.assign(new Error('StartExecution needs StateMachineArn and Name'), {
          name: 'StepFunctions.InvalidArnException',
        });
      }
      const parsed = typeof Input === 'string' ? JSON.parse(Input) : Input;
      return {
        ExecutionArn: start(StateMachineArn, Name, parsed ?? {}),
        StartDate: new Date().toISOString(),
      };
    },
  };
}
