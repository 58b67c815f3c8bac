import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LazyS3Client } from '#runtime/context.ts';

/** DynamoDB request units counted from item sizes with the on-demand billing rules. */
export interface Capacity {
  rru: number;
  wru: number;
  calls: Record<string, number>;
}

/**
 * Approximates an item's DynamoDB size: attribute names plus values (strings by UTF-8 length, numbers
 * ~ digits/2 + 1, nested values recursively). Close to AWS's rules for the flat items this product writes.
 */
export function itemSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'number') return Math.ceil(String(value).replace(/[-.]/g, '').length / 2) + 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, item) => sum + 1 + itemSize(item), 0);
  return (
    3 +
    Object.entries(value as Record<string, unknown>).reduce(
      (sum, [key, item]) => sum + Buffer.byteLength(key) + 1 + itemSize(item),
      0,
    )
  );
}

const readUnits = (bytes: number, consistent: boolean) =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

interface CommandInput {
  ConsistentRead?: boolean;
  Item?: unknown;
  RequestItems?: Record<string, { PutRequest?: { Item: unknown } }[]>;
}

interface CommandOutput {
  Item?: unknown;
  Items?: unknown[];
  Responses?: Record<string, unknown[]>;
}

/** Counts the read and write units of every call made through `client` until the returned stop function runs. */
export function countCapacity(client: DynamoDBDocumentClient): { capacity: Capacity; stop: () => void } {
  const capacity: Capacity = { rru: 0, wru: 0, calls: {} };
  const name = `kaizen-capacity-${Math.random()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const command = context.commandName ?? 'unknown';
      capacity.calls[command] = (capacity.calls[command] ?? 0) + 1;
      const input = args.input as CommandInput;
      const output = result.output as CommandOutput;
      const consistent = input.ConsistentRead === true;
      switch (command) {
        case 'GetItemCommand':
          capacity.rru += readUnits(itemSize(output.Item ?? {}), consistent);
          break;
        case 'QueryCommand':
        case 'ScanCommand':
          capacity.rru += readUnits(
            (output.Items ?? []).reduce((sum: number, item: unknown) => sum + itemSize(item), 0),
            consistent,
          );
          break;
        case 'BatchGetItemCommand':
          for (const items of Object.values(output.Responses ?? {})) {
            for (const item of items) capacity.rru += readUnits(itemSize(item), consistent);
          }
          break;
        case 'PutItemCommand':
          capacity.wru += writeUnits(itemSize(input.Item));
          break;
        case 'UpdateItemCommand':
        case 'DeleteItemCommand':
          capacity.wru += 1;
          break;
        case 'BatchWriteItemCommand':
          for (const requests of Object.values(input.RequestItems ?? {}) as {
            PutRequest?: { Item: unknown };
          }[][]) {
            for (const request of requests)
              capacity.wru += writeUnits(itemSize(request.PutRequest?.Item ?? {}));
          }
          break;
      }
      return result;
    },
    { step: 'initialize', name },
  );
  return { capacity, stop: () => client.middlewareStack.remove(name) };
}

/** Counts the requests made through a context's S3 client until the returned stop function runs. */
export async function countRequests(s3: LazyS3Client): Promise<{
  calls: Record<string, number>;
  stop: () => void;
}> {
  const client = await s3.client();
  const calls: Record<string, number> = {};
  const name = `kaizen-requests-${Math.random()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      calls[command] = (calls[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { calls, stop: () => client.middlewareStack.remove(name) };
}
