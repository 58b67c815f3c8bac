import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '#contracts/errors.ts';
import type { KaizenContext } from '#runtime/context.ts';

/**
 * The items of a query across all its pages, without the table keys `pk` and `sk`; with `limit`, it stops
 * reading once it has that many.
 */
export async function queryItems(
  ctx: KaizenContext,
  input: QueryCommandInput,
  limit?: number,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const paging = { client: ctx.ddb, ...(limit === undefined ? {} : { pageSize: Math.min(limit, 100) }) };
  for await (const page of paginateQuery(paging, input)) {
    for (const { pk: _pk, sk: _sk, ...item } of page.Items ?? []) items.push(item);
    if (limit !== undefined && items.length >= limit) return items.slice(0, limit);
  }
  return items;
}

/** Whether a conditional write failed on its condition (by class or, across SDK copies, by name). */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as Error)?.name === 'ConditionalCheckFailedException'
  );
}

/**
 * Awaits a conditional write: true when it was written, false when its condition failed (a lost race, or a write
 * already done); any other error is thrown.
 */
export async function writtenUnlessCondition(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Waits before retry `attempt` of unprocessed batch items (exponential, from 20 ms). */
export function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
}

/**
 * The registry items with sort key `sk` of many models, read in batches of 100 (BatchGetItem's limit) with
 * unprocessed keys retried after a backoff; models without one are absent. `what` names them in the error.
 */
export async function batchGetRegistry(
  ctx: KaizenContext,
  modelIds: readonly string[],
  sk: string,
  options: { what: string; consistent?: boolean },
): Promise<Record<string, unknown>[]> {
  const table = ctx.config.registryTable;
  // BatchGetItem refuses a batch that names a key twice.
  const ids = [...new Set(modelIds)];
  const items: Record<string, unknown>[] = [];
  for (let offset = 0; offset < ids.length; offset += 100) {
    let keys: Record<string, unknown>[] = ids.slice(offset, offset + 100).map((pk) => ({ pk, sk }));
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt > 8) throw new TransientError(`${keys.length} ${options.what} reads left unprocessed`);
      if (attempt > 0) await backoff(attempt);
      const output = await ctx.ddb.send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: keys, ...(options.consistent ? { ConsistentRead: true } : {}) } },
        }),
      );
      items.push(...(output.Responses?.[table] ?? []));
      keys = (output.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
  }
  return items;
}
