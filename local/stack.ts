import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { LocalHomeError } from '#contracts/errors.ts';
import { TABLE_KEYS, type TableName } from '#contracts/tables.ts';
import { DATASETS_PREFIX } from '#contracts/workflows.ts';
import { createContext, type KaizenContext, type LoopStarter } from '#runtime/context.ts';
import { CallbackTasks, serveStatesApi } from './callbacks.ts';
import { discardPrestartedDynamo, startLocalDynamo } from './dynamo.ts';
import { fileEventPublisher } from './events.ts';
import { type LocalS3Record, s3NotificationTarget } from './integrations/s3-notifications.ts';
import { LOCAL_REGION } from './lambda-context.ts';
import { publishedStack, STACK_FILE } from './published.ts';

/** Names of the local resources; the deployed stack names its own. */
export const LOCAL_TABLES: Record<TableName, string> = {
  metrics: 'kaizen-metrics',
  registry: 'kaizen-registry',
  runs: 'kaizen-runs',
};
export const LOCAL_BUCKET = 'kaizen-artifacts';

export interface LocalStackOptions {
  /** Folder that keeps the state between commands (`<home>/dynamodb`, `<home>/s3`). */
  home: string;
  /** Powertools log level of the handlers run in-process. @default 'SILENT' */
  logLevel?: string;
}

export interface LocalStack {
  readonly home: string;
  /** Loopback endpoints: DynamoDB, S3, and the callback part of the Step Functions API (`states`). */
  readonly endpoints: { readonly dynamodb: string; readonly s3: string; readonly states: string };
  readonly tables: Readonly<Record<TableName, string>>;
  readonly bucket: string;
  /**
   * A context whose clients talk to these servers (loopback endpoints, local credentials, path-style S3
   * without streamed checksums) and which starts loops with `loops`. Close it before stopping the stack.
   */
  context(loops: LoopStarter): KaizenContext;
  /** Closes both servers, releases the home folder and restores the Powertools settings. Idempotent. */
  stop(): Promise<void>;
  /** True for a stack another process runs ({@link attachLocalStack}): `stop` leaves it running. */
  readonly attached?: boolean;
  /** The callback tasks this process's engine waits on (absent on an attached stack: its owner has them). */
  readonly callbacks?: CallbackTasks;
}

/** The bucket's notifications start no loops. */
const NO_LOOPS: LoopStarter = {
  start: () => Promise.reject(new Error('an S3 notification starts no loop')),
};

interface S3rverInstance {
  configureBuckets(): Promise<void>;
  on(event: 'event', listener: (event: S3rverEvent) => void): void;
  callback(): RequestListener;
  logger: { exceptions: { unhandle(): void }; close(): void };
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);

/**
/** s3rver's notification of one request: S3's event structure. */
interface S3rverEvent {
  Records: LocalS3Record[];
}

/**
 * S3 on a loopback port whose server (s3rver, ~100 ms to import) loads with the first request, so commands that
 * never touch S3 (`status`, `models`) do not pay for it. Requests wait, unread, until it is ready.
 *
 * Objects created under `prefix` are delivered to `deliver` as the bucket's notification does on AWS. Locally
 * the request is answered once the notification is handled (on AWS it follows within seconds), so a command that
 * uploads a dataset and then sweeps sees its arrival.
 */
function lazyS3(
  options: Record<string, unknown>,
  notification: { prefix: string; deliver(record: LocalS3Record): Promise<unknown> },
): { server: Server; close(): void } {
  let s3: S3rverInstance | undefined;
  let listener: Promise<RequestListener> | undefined;
  const notifying = new AsyncLocalStorage<Promise<unknown>[]>();
  const server = createServer((request, response) => {
    listener ??= (async () => {
      makeObjectWritesAtomic();
      s3 = new (require('s3rver') as S3rverClass)(options);
      s3.on('event', (event: S3rverEvent) => {
        for (const record of event.Records) {
          const created = record.eventName.startsWith('ObjectCreated:');
          if (created && record.s3.object.key.startsWith(notification.prefix))
            notifying.getStore()?.push(notification.deliver(record));
        }
      });
      await s3.configureBuckets();
      return s3.callback();
    })();
    const pending: Promise<unknown>[] = [];
    const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
    // The answer waits for the notifications its request made.
    response.end = ((...args: unknown[]) => {
      if (pending.length === 0) return end(...args);
      // As on AWS, a failed notification does not fail the upload; locally it is not retried, so it is reported.
      Promise.all(pending)
        .catch((error: Error) => process.stderr.write(`local S3 notification failed: ${error.message}\n`))
        .finally(() => end(...args));
      return response;
    }) as ServerResponse['end'];
    listener.then(
      (handle) => notifying.run(pending, () => handle(request, response)),
      (error: Error) => response.writeHead(500).end(`local S3 failed to start: ${error.message}`),
    );
  });
  return {
    server,
    // What s3rver does when its own server closes.
    close: () => {
      s3?.logger.exceptions.unhandle();
      s3?.logger.close();
    },
  };
}

interface S3rverObject {
  bucket: string;
  key: string;
  content: Buffer | NodeJS.ReadableStream;
  metadata: Record<string, string>;
}
interface FilesystemStore {
  getResourcePath(bucket: string, key: string, kind: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
}

let atomicWrites = false;

/**
 * S3 replaces an object all at once: a PUT that is cut off leaves the previous version in place. s3rver writes
 * into the object's file as bytes arrive, so an interrupted upload would leave a truncated object. Its store
 * is taught to write a temporary file and rename it over the object once complete, as S3 behaves.
 */
function makeObjectWritesAtomic(): void {
  if (atomicWrites) return;
  atomicWrites = true;
  const Store = require('s3rver/lib/stores/filesystem') as { prototype: FilesystemStore };
  Store.prototype.putObject = async function putObject(this: FilesystemStore, object: S3rverObject) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const partial = `${objectPath}.${randomBytes(6).toString('hex')}.partial`;
    const md5 = createHash('md5');
    let size = 0;
    const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    try {
      await pipeline(
        content,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            md5.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        }),
        createWriteStream(partial),
      );
      await rename(partial, objectPath);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    const digest = md5.digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}

/** Credentials of the local servers (s3rver accepts only these). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

function listen(server: Server): Promise<number> {
  return new Promise((resolvePort, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolvePort((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose, reject) =>
    server.close((error) => (error ? reject(error) : resolveClose())),
  );
}

/** Creates the tables not among `found` (listed here when the server did not name them). */
async function createMissingTables(endpoint: string, found?: readonly string[]): Promise<void> {
  if (found && Object.values(LOCAL_TABLES).every((name) => found.includes(name))) return;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const existing = new Set(found ?? (await client.send(new ListTablesCommand({}))).TableNames ?? []);
    const missing = (Object.keys(LOCAL_TABLES) as TableName[]).filter((t) => !existing.has(LOCAL_TABLES[t]));
    await Promise.all(
      missing.map((table) => {
        const { partitionKey, sortKey, indexes } = TABLE_KEYS[table];
        const attributes = new Set<string>([
          partitionKey,
          sortKey,
          ...indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
        ]);
        return client.send(
          new CreateTableCommand({
            TableName: LOCAL_TABLES[table],
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [...attributes].map((name) => ({
              AttributeName: name,
              AttributeType: 'S',
            })),
            KeySchema: [
              { AttributeName: partitionKey, KeyType: 'HASH' },
              { AttributeName: sortKey, KeyType: 'RANGE' },
            ],
            ...(indexes.length > 0
              ? {
                  GlobalSecondaryIndexes: indexes.map((index) => ({
                    IndexName: index.name,
                    KeySchema: [
                      { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
                      { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
                    ],
                    Projection: { ProjectionType: 'ALL' as const },
                  })),
                }
              : {}),
          }),
        );
      }),
    );
    // dynalite answers CreateTable with CREATING and flips to ACTIVE on a timer: a write before that (or a
    // stop, which loses the flip and leaves the table CREATING on disk) would misbehave. Tables found were
    // created by an earlier start, which waited for them.
    await Promise.all(missing.map((table) => untilActive(client, LOCAL_TABLES[table])));
  } finally {
    client.destroy();
  }
}

/** Waits until the table and its indexes are ACTIVE (a few milliseconds on dynalite). */
async function untilActive(client: DynamoDBClient, TableName: string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')) return;
    if (attempt >= 500) throw new Error(`local table ${TableName} is still ${Table?.TableStatus} after 5 s`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

/** Sets the variables and returns a function that puts the previous values back. */
function applyEnv(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const assign = (entries: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  assign(values);
  return () => assign(previous);
}

/**
 * Starts DynamoDB (dynalite, LevelDB on disk, in a worker thread) and S3 (s3rver, files on disk, in-process) on
 * loopback ports and creates the tables and the bucket if missing. Code reaches them through `context()`, never
 * through the environment; the only variables set while the stack runs are the Powertools settings of the
 * in-process Lambda handlers (what Lambda's function configuration sets on AWS). Fails if another process
 * uses the same home.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const home = resolve(options.home);
  await mkdir(join(home, 's3'), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new LocalHomeError(
      `cannot keep the local state in ${home} (--home or KAIZEN_HOME): ${error.code ?? error.message}`,
      false,
      { cause: error },
    );
  });
  // Takes the home's lock (a LocalHomeError when another stack holds it), then opens the database.
  const dynamo = await startLocalDynamo(home);

  let restoreEnv: (() => void) | undefined;
  let s3: ReturnType<typeof lazyS3> | undefined;
  let states: Server | undefined;
  const callbacks = new CallbackTasks();
  // Endpoints of the servers, once they listen; the context of the bucket's notifications, from the first one.
  let endpoints: LocalStack['endpoints'] = { dynamodb: '', s3: '', states: '' };
  let notifier: KaizenContext | undefined;
  let deliver: ((record: LocalS3Record) => Promise<unknown>) | undefined;
  const shutdown = async () => {
    await rm(join(home, STACK_FILE), { force: true });
    // Servers first, DynamoDB's last as it releases the home's lock after its database, then the handlers'
    // Powertools settings. `kaizen complete` clients may keep their connection alive: close them, or the server
    // never closes.
    states?.closeAllConnections();
    s3?.server.closeAllConnections();
    const results = await Promise.allSettled([
      s3 ? closeServer(s3.server).finally(s3.close) : undefined,
      states ? closeServer(states) : undefined,
    ]);
    notifier?.close();
    results.push(...(await Promise.allSettled([dynamo.stop()])));
    restoreEnv?.();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  try {
    s3 = lazyS3(
      { silent: true, directory: join(home, 's3'), configureBuckets: [{ name: LOCAL_BUCKET }] },
      {
        prefix: DATASETS_PREFIX,
        deliver: (record) => {
          notifier ??= localContext(endpoints, NO_LOOPS, home);
          deliver ??= s3NotificationTarget(notifier);
          return deliver(record);
        },
      },
    );
    const [s3Port, statesApi] = await Promise.all([listen(s3.server), serveStatesApi(callbacks)]);
    states = statesApi.server;
    endpoints = {
      dynamodb: `http://127.0.0.1:${dynamo.port}`,
      s3: `http://127.0.0.1:${s3Port}`,
      states: statesApi.endpoint,
    };
    await createMissingTables(endpoints.dynamodb, dynamo.tables);

    await writeFile(join(home, STACK_FILE), JSON.stringify({ pid: process.pid, endpoints }));
    restoreEnv = applyEnv({
      POWERTOOLS_SERVICE_NAME: 'kaizen-loop',
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    });

    let stopped: Promise<void> | undefined;
    return {
      home,
      endpoints,
      tables: { ...LOCAL_TABLES },
      bucket: LOCAL_BUCKET,
      context: (loops) => localContext(endpoints, loops, home),
      callbacks,
      stop: () => {
        stopped ??= shutdown();
        return stopped;
      },
    };
  } catch (error) {
    await shutdown().catch(() => undefined);
    throw error;
  }
}

/**
 * The stack another kaizen command runs on `home`, to read while it works (`status`, `history` during a run):
 * its servers answer on loopback for as long as that command lives. Throws {@link LocalHomeError} when no live
 * command publishes one.
 */
export async function attachLocalStack(home: string, waitMs = 0): Promise<LocalStack> {
  const folder = resolve(home);
  // A command that has just taken the home publishes its endpoints once its servers listen: wait that long.
  let published = publishedStack(folder);
  for (const deadline = Date.now() + waitMs; !published && Date.now() < deadline; ) {
    await new Promise((done) => setTimeout(done, 100));
    published = publishedStack(folder);
  }
  if (!published) {
    throw new LocalHomeError(
      `another kaizen command is using ${folder} and publishes no stack to read; wait for it`,
      true,
    );
  }
  const { endpoints } = published;
  // This process reads through that stack's DynamoDB: a worker started ahead of time has nothing to serve.
  discardPrestartedDynamo();
  return {
    home: folder,
    endpoints,
    tables: { ...LOCAL_TABLES },
    bucket: LOCAL_BUCKET,
    context: (loops) => localContext(endpoints, loops, home),
    stop: async () => {},
    attached: true,
  };
}

/**
 * A context on local servers at `endpoints` (another process may have started them): explicit endpoints, region
 * and credentials, so no variable of the shell redirects it.
 */
export function localContext(
  endpoints: LocalStack['endpoints'],
  loops: LoopStarter,
  home: string,
): KaizenContext {
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  return createContext({
    config: {
      metricsTable: LOCAL_TABLES.metrics,
      registryTable: LOCAL_TABLES.registry,
      runsTable: LOCAL_TABLES.runs,
      bucket: LOCAL_BUCKET,
    },
    dynamodb: { ...common, endpoint: endpoints.dynamodb },
    s3: {
      ...common,
      endpoint: endpoints.s3,
      forcePathStyle: true,
      // Without these the SDK streams uploads with aws-chunked framing, which s3rver stores verbatim.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
    loops,
    events: fileEventPublisher(home),
  });
}
