import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RunInput } from '#domain/run.ts';
import { ddb } from './aws.ts';
import { config } from './config.ts';

/** Starts an improvement-loop execution by name (the engine behind it differs: Step Functions or local). */
export interface LoopStarter {
  start(name: string, input: RunInput): Promise<void>;
}

export const LOOP_ARN_VARIABLE = 'KAIZEN_IMPROVEMENT_LOOP_ARN';

let sfnClient: SFNClient | undefined;
let override: LoopStarter | undefined;

const stepFunctions: LoopStarter = {
  async start(name, input) {
    const stateMachineArn = process.env[LOOP_ARN_VARIABLE];
    if (!stateMachineArn) throw new Error(`environment variable ${LOOP_ARN_VARIABLE} is not set`);
    sfnClient ??= new SFNClient({});
    try {
      await sfnClient.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
    } catch (error) {
      // A same-name execution with the same input is already a no-op; one with other input is a duplicate too.
      if (!(error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists'))
        throw error;
    }
  },
};

/** Replaces the Step Functions starter (the local stack runs executions in-process). */
export function setLoopStarter(starter: LoopStarter | undefined): void {
  override = starter;
}

/** Deterministic name of the automated run for a model and window: a second start is a no-op. */
export function automatedExecutionName(modelId: string, asOf: string): string {
  return `auto-${modelId}-${asOf.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`.slice(0, 80);
}

/**
 * Starts the loop once per name: a conditional write of a start marker makes concurrent and repeated starts
 * for the same model and window no-ops (`duplicate`), on Step Functions and locally alike.
 */
export async function startLoopOnce(
  name: string,
  input: RunInput,
  source: string,
): Promise<'started' | 'duplicate'> {
  const key = { pk: input.modelId, sk: `START#${name}` };
  try {
    await ddb().send(
      new PutCommand({
        TableName: config().runsTable,
        Item: { ...key, name, source, input, at: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
  } catch (error) {
    if (
      error instanceof ConditionalCheckFailedException ||
      (error as Error).name === 'ConditionalCheckFailedException'
    ) {
      return 'duplicate';
    }
    throw error;
  }
  try {
    await (override ?? stepFunctions).start(name, input);
  } catch (error) {
    // Let a retry start it: the marker must not outlive a start that did not happen.
    await ddb().send(new DeleteCommand({ TableName: config().runsTable, Key: key }));
    throw error;
  }
  return 'started';
}
