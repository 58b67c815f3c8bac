import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
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

/** Waits before retry `attempt` of unprocessed batch items (exponential, from 20 ms). */
export function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
}
