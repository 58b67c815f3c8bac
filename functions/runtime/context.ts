import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from '#contracts/env.ts';
import { EVENT_SOURCE } from '#contracts/workflows.ts';
import type { RunInput } from '#domain/run.ts';
import { stepFunctionsStarter } from './loops.ts';

/** Names of the stores one deployment (or the local stack) uses. */
export interface KaizenConfig {
  readonly metricsTable: string;
  readonly registryTable: string;
  readonly runsTable: string;
  readonly bucket: string;
}

/** Starts an improvement-loop execution by name (Step Functions on AWS, the in-process engine locally). */
export interface LoopStarter {
  start(name: string, input: RunInput): Promise<void>;
}

/** Publishes Kaizen Loop's events (source `kaizen-loop`): the stack's EventBridge bus, a file locally. */
export interface EventPublisher {
  publish(detailType: string, detail: Record<string, unknown>): Promise<void>;
}

/**
 * Everything the stores and steps need from the outside world, built once per Lambda (from its
 * environment), once per CLI backend (from stack outputs or the local stack) and passed explicitly: no
 * step reads `process.env` or a module-wide client.
 */
export interface KaizenContext {
  readonly config: KaizenConfig;
  /** DynamoDB document client (undefined attributes removed on write). */
  readonly ddb: DynamoDBDocumentClient;
  /** S3, loaded and built at the first request: most steps and commands never touch S3. */
  readonly s3: LazyS3Client;
  readonly loops: LoopStarter;
  readonly events: EventPublisher;
  /** The function's memory in MB (a Lambda's own setting); bounds concurrent dataset reads. Unset outside Lambda. */
  readonly memoryMb?: number;
  /** Destroys the clients (CLI backends; a Lambda's context lives as long as its process). */
  close(): void;
}

export interface ContextOptions {
  config: KaizenConfig;
  /** Settings of the DynamoDB client (endpoint, region, credentials); default: the SDK's provider chain. */
  dynamodb?: DynamoDBClientConfig;
  /** Settings of the S3 client. */
  s3?: S3ClientConfig;
  loops: LoopStarter;
  /** @default a publisher that refuses (the function has no `events: 'publish'` access) */
  events?: EventPublisher;
  /** The function's memory in MB. */
  memoryMb?: number;
}

/**
 * An S3 client whose SDK package is imported, and the client built, at the first request. Importing
 * `@aws-sdk/client-s3` costs about 150 ms of a CLI start and a Lambda's cold start, and most steps and commands
 * never send an S3 request.
 */
export interface LazyS3Client {
  send: S3Client['send'];
  /** The client itself, built if it was not yet (for middleware: request counting in tests and benches). */
  client(): Promise<S3Client>;
  /** Destroys the client (at once if it was built, else once it is). */
  destroy(): void;
}

/** A {@link LazyS3Client} with these settings. */
export function lazyS3Client(config: S3ClientConfig = {}): LazyS3Client {
  let built: S3Client | undefined;
  let loading: Promise<S3Client> | undefined;
  let destroyed = false;
  const client = () =>
    (loading ??= import('@aws-sdk/client-s3').then(({ S3Client }) => {
      built = new S3Client(config);
      // Destroyed while it loaded: as the context's other clients are.
      if (destroyed) built.destroy();
      return built;
    }));
  return {
    send: ((command: Parameters<S3Client['send']>[0], options?: Parameters<S3Client['send']>[1]) =>
      client().then((s3) => s3.send(command, options))) as S3Client['send'],
    client,
    destroy() {
      destroyed = true;
      built?.destroy();
    },
  };
}

/** A function that may not publish events (only `access.events: 'publish'` functions get the bus name). */
const noEvents: EventPublisher = {
  publish() {
    return Promise.reject(new Error(`environment variable ${ENV.eventBus} is not set`));
  },
};

/**
 * Publishes to an EventBridge bus; a failed entry is an error naming its code. The SDK package is imported at the
 * first event (most invocations publish none).
 */
export function eventBridgePublisher(busName: string, client?: EventBridgeClient): EventPublisher {
  return {
    async publish(detailType, detail) {
      const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
      client ??= new EventBridgeClient({});
      const output = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: busName,
              Source: EVENT_SOURCE,
              DetailType: detailType,
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      );
      const failed = output.Entries?.find((entry) => entry.ErrorCode);
      if ((output.FailedEntryCount ?? 0) > 0 || failed) {
        throw new Error(
          `could not publish "${detailType}" on ${busName}: ${failed?.ErrorCode ?? 'failed'} ${failed?.ErrorMessage ?? ''}`.trim(),
        );
      }
    },
  };
}

/** A context whose clients are built from explicit settings. */
export function createContext(options: ContextOptions): KaizenContext {
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(options.dynamodb ?? {}), {
    // KPI values and drift scores are doubles: magnitudes past 2^53 are stored and read back as plain numbers
    // (the SDK would otherwise refuse to write them, or read them as BigInt that JSON cannot carry).
    marshallOptions: {
      removeUndefinedValues: true,
      convertClassInstanceToMap: false,
      allowImpreciseNumbers: true,
    },
    unmarshallOptions: { wrapNumbers: (text: string) => Number(text) },
  });
  const s3 = lazyS3Client(options.s3);
  return {
    config: { ...options.config },
    ddb,
    s3,
    loops: options.loops,
    events: options.events ?? noEvents,
    ...(options.memoryMb === undefined ? {} : { memoryMb: options.memoryMb }),
    close() {
      ddb.destroy();
      s3.destroy();
    },
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** A function that has no loop to start (only `access.loop: 'start'` functions get its ARN). */
const noLoops: LoopStarter = {
  start() {
    return Promise.reject(new Error(`environment variable ${ENV.loopArn} is not set`));
  },
};

/** The function's memory in MB, in every Lambda's environment. */
const LAMBDA_MEMORY = 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE';

/** The context of a Lambda function, from the environment the CDK app gives it (read once, at first use). */
export function contextFromEnv(env: NodeJS.ProcessEnv = process.env): KaizenContext {
  const loopArn = env[ENV.loopArn];
  const busName = env[ENV.eventBus];
  return createContext({
    config: {
      metricsTable: required(env, ENV.metricsTable),
      registryTable: required(env, ENV.registryTable),
      runsTable: required(env, ENV.runsTable),
      bucket: required(env, ENV.bucket),
    },
    s3: { forcePathStyle: env[ENV.s3ForcePathStyle] === 'true' },
    loops: loopArn ? stepFunctionsStarter(loopArn) : noLoops,
    // Set by Lambda itself, not by the stack.
    ...(Number(env[LAMBDA_MEMORY]) > 0 ? { memoryMb: Number(env[LAMBDA_MEMORY]) } : {}),
    ...(busName ? { events: eventBridgePublisher(busName) } : {}),
  });
}
