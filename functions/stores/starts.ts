import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { compactStamp, executionName } from '#domain/names.ts';
import type { RunInput } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { isConditionFailure } from './dynamo.ts';

/** Deterministic name of the automated run for a model and window: a second start is a no-op. */
export function automatedExecutionName(modelId: string, asOf: string): string {
  return executionName('auto', modelId, compactStamp(asOf));
}

/**
 * Starts the loop once per name: a conditional write of a start marker makes concurrent and repeated starts
 * for the same model and window no-ops (`duplicate`), on Step Functions and locally alike.
 */
export async function startLoopOnce(
  ctx: KaizenContext,
  name: string,
  input: RunInput,
  source: string,
): Promise<'started' | 'duplicate'> {
  const TableName = ctx.config.runsTable;
  const key = { pk: input.modelId, sk: `START#${name}` };
  try {
    await ctx.ddb.send(
      new PutCommand({
        TableName,
        Item: { ...key, name, source, input, at: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return 'duplicate';
    throw error;
  }
  try {
    await ctx.loops.start(name, input);
  } catch (error) {
    // Let a retry start it: the marker must not outlive a start that did not happen.
    await ctx.ddb.send(new DeleteCommand({ TableName, Key: key }));
    throw error;
  }
  return 'started';
}
