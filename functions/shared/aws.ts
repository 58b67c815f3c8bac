import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
