/**
 * The read path for serving code: which model version serves now, and where its artifact is. Import it into a
 * Node service (TypeScript source: run it with tsx or bundle it with esbuild) and read the champion at start
 * and whenever a `Kaizen Model Promoted` or `Kaizen Model Rolled Back` event arrives.
 *
 * Needs only `dynamodb:GetItem` on the registry table (the stack output `RegistryTableName`); scope it with the
 * `dynamodb:LeadingKeys` condition to the model ids the service serves.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

/** The registry item that names a model's champion (`pk` = model id, `sk` = this). */
export const CHAMPION_SORT_KEY = 'ALIAS#champion';

export interface ServingChampion {
  modelId: string;
  version: number;
  /** Key of the model artifact in the artifacts bucket (`model.json`, or a `model.tar.gz`). */
  artifactKey: string;
  /** `s3://<bucket>/<artifactKey>` when the bucket is given. */
  artifactUri?: string;
  /** The logical time the version started serving. */
  since: string;
}

export interface ReadChampionOptions {
  modelId: string;
  /** The registry table's name (stack output `RegistryTableName`). */
  registryTable: string;
  /** The artifacts bucket (stack output `BucketName`), to get `artifactUri`. */
  bucket?: string;
  /** @default a document client with the SDK's default configuration */
  client?: DynamoDBDocumentClient;
}

/** The model's serving champion, or null when it has none (never promoted). Strongly consistent. */
export async function readChampion(options: ReadChampionOptions): Promise<ServingChampion | null> {
  const client = options.client ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const { Item } = await client.send(
    new GetCommand({
      TableName: options.registryTable,
      Key: { pk: options.modelId, sk: CHAMPION_SORT_KEY },
      ConsistentRead: true,
    }),
  );
  if (!Item || typeof Item.version !== 'number' || typeof Item.artifactKey !== 'string') return null;
  return {
    modelId: options.modelId,
    version: Item.version,
    artifactKey: Item.artifactKey,
    ...(options.bucket ? { artifactUri: `s3://${options.bucket}/${Item.artifactKey}` } : {}),
    since: String(Item.since ?? ''),
  };
}
