import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { config } from './config.ts';

let documentClient: DynamoDBDocumentClient | undefined;
let s3Client: S3Client | undefined;

/** The DynamoDB document client, built on first use so endpoint settings made before then apply. */
export function ddb(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documentClient;
}

/** The S3 client, built on first use. */
export function s3(): S3Client {
  s3Client ??= new S3Client({ forcePathStyle: config().s3ForcePathStyle });
  return s3Client;
}

/** Drops the cached clients so the next call builds them from the current environment. */
export function resetClients(): void {
  documentClient?.destroy();
  s3Client?.destroy();
  documentClient = undefined;
  s3Client = undefined;
}

/**
 * The items of a query across all its pages, without the table keys `pk` and `sk`; with `limit`, it stops
 * reading once it has that many.
 */
export async function queryItems(
  input: QueryCommandInput,
  limit?: number,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const config = { client: ddb(), ...(limit === undefined ? {} : { pageSize: Math.min(limit, 100) }) };
  for await (const page of paginateQuery(config, input)) {
    for (const { pk: _pk, sk: _sk, ...item } of page.Items ?? []) items.push(item);
    if (limit !== undefined && items.length >= limit) return items.slice(0, limit);
  }
  return items;
}
