import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { compactStamp, executionName } from '#domain/names.ts';
import type { RunInput } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { isConditionFailure } from './dynamo.ts';

/** Deterministic name of the automated run for a model and window: a second start is a no-op. */
export function automatedExecutionName(modelId: string, asOf: string): string {
  return executionName('auto', modelId, compactStamp(asOf));
}

/** A marker still `starting` after this long belongs to a start that died between its two writes. */
export const STALE_START_MS = 2 * 60_000;

/**
 * Starts the loop once per name: a conditional write of a start marker makes concurrent and repeated starts
 * for the same model and window no-ops (`duplicate`), on Step Functions and locally alike. The marker says
 * `starting` until the start returned; a marker left `starting` for {@link STALE_START_MS} (the caller died in
 * between) is taken over and the start made again: Step Functions treats a second start of the same name and
 * input as the same execution, so this never runs a window twice there.
 */
export async function startLoopOnce(
  ctx: KaizenContext,
  name: string,
  input: RunInput,
  source: string,
  now = new Date(),
): Promise<'started' | 'duplicate'> {
  const TableName = ctx.config.runsTable;
  const key = { pk: input.modelId, sk: `START#${name}` };
  const stale = new Date(now.getTime() - STALE_START_MS).toISOString();
  try {
    await ctx.ddb.send(
      new PutCommand({
        TableName,
        Item: { ...key, name, source, input, at: now.toISOString(), status: 'starting' },
        // New, or a start that never finished long enough ago to be dead.
        ConditionExpression: 'attribute_not_exists(sk) OR (#status = :starting AND #at < :stale)',
        ExpressionAttributeNames: { '#status': 'status', '#at': 'at' },
        ExpressionAttributeValues: { ':starting': 'starting', ':stale': stale },
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
  await ctx.ddb.send(
    new UpdateCommand({
      TableName,
      Key: key,
      UpdateExpression: 'SET #status = :started',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':started': 'started' },
    }),
  );
  return 'started';
}
