import { getCompileCacheDir } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LocalHomeError } from '#contracts/errors.ts';
import { PROJECT_ROOT } from './root.ts';

/** Plain JavaScript, outside the CLI's bundle: the sources and the prebuilt CLI start the same file. */
const WORKER_FILE = join(PROJECT_ROOT, 'local', 'dynamo-worker.mjs');

/** The local DynamoDB server, running in its worker thread on a loopback port. */
export interface LocalDynamo {
  readonly port: number;
  /** The tables the database held when it opened (undefined if the server could not say without a request). */
  readonly tables?: readonly string[];
  /** Closes the server and its database, releases the home's lock and ends the worker. Idempotent. */
  stop(): Promise<void>;
}

interface PlainError {
  name: string;
  message: string;
  code?: string;
  causeCode?: string;
  causeMessage?: string;
  stack?: string;
}
type FromWorker =
  | { type: 'listening'; port: number; tables?: string[] }
  | { type: 'failed'; error: PlainError }
  | { type: 'stopped'; error?: PlainError };

interface Thread {
  worker: Worker;
  /** Why the worker died (an uncaught error, or an exit nobody asked for), once it has. */
  failure?: Error;
}

function spawn(): Thread {
  const thread: Thread = {
    worker: new Worker(WORKER_FILE, { workerData: { compileCache: getCompileCacheDir() } }),
  };
  // Listeners from the start: a worker that dies before anyone waits on it must not take the process down.
  thread.worker.on('error', (error) => {
    thread.failure ??= error;
  });
  thread.worker.on('exit', (code) => {
    thread.failure ??= new Error(`the local DynamoDB worker exited with code ${code}`);
  });
  thread.worker.unref();
  return thread;
}

let early: Thread | undefined;

/**
 * Starts the worker ahead of time, so that it loads dynalite and LevelDB on the other CPU while the command
 * loads its own modules; the next {@link startLocalDynamo} uses it. Does not keep the process alive.
 */
export function prestartLocalDynamo(): void {
  early ??= spawn();
}

/** Ends the worker {@link prestartLocalDynamo} started, if no stack took it (the command attached to another's). */
export function discardPrestartedDynamo(): void {
  void early?.worker.terminate();
  early = undefined;
}

/** The next message of `type`, or the worker's death. */
function next<T extends FromWorker['type']>(
  thread: Thread,
  type: T,
): Promise<Extract<FromWorker, { type: T | 'failed' }>> {
  return new Promise((resolve, reject) => {
    if (thread.failure) return reject(thread.failure);
    const cleanup = () => {
      thread.worker.off('message', onMessage);
      thread.worker.off('error', onError);
      thread.worker.off('exit', onExit);
    };
    const onMessage = (message: FromWorker) => {
      if (message.type !== type && message.type !== 'failed') return;
      cleanup();
      resolve(message as Extract<FromWorker, { type: T | 'failed' }>);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(thread.failure ?? new Error(`the local DynamoDB worker exited with code ${code}`));
    };
    thread.worker.on('message', onMessage);
    thread.worker.on('error', onError);
    thread.worker.on('exit', onExit);
  });
}

function fromPlain(plain: PlainError): Error {
  const error = Object.assign(new Error(plain.message), { name: plain.name, code: plain.code });
  if (plain.stack) error.stack = plain.stack;
  if (plain.causeCode || plain.causeMessage)
    error.cause = Object.assign(new Error(plain.causeMessage ?? plain.causeCode), { code: plain.causeCode });
  return error;
}

/**
 * Starts DynamoDB (dynalite, LevelDB in `<home>/dynamodb`) in a worker thread on a loopback port, after taking
 * the OS-level lock on `<home>/lock` there (held for the stack's lifetime, dropped by the OS if the process
 * dies). Throws {@link LocalHomeError} (busy) when another stack holds the home.
 */
export async function startLocalDynamo(home: string): Promise<LocalDynamo> {
  const thread = early ?? spawn();
  early = undefined;
  // A running server keeps the process alive, as one in this thread would.
  thread.worker.ref();
  let answer: Awaited<ReturnType<typeof next<'listening'>>>;
  try {
    const listening = next(thread, 'listening');
    thread.worker.postMessage({ type: 'start', home });
    answer = await listening;
  } catch (error) {
    await thread.worker.terminate();
    throw error;
  }
  if (answer.type === 'failed') {
    await thread.worker.terminate();
    const error = fromPlain(answer.error);
    if (answer.error.causeCode === 'LEVEL_LOCKED') {
      throw new LocalHomeError(
        `another kaizen command is using ${home}; wait for it or set KAIZEN_HOME to another folder`,
        true,
        { cause: error },
      );
    }
    throw error;
  }
  const { port, tables } = answer;
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    try {
      const done = next(thread, 'stopped');
      thread.worker.postMessage({ type: 'stop' });
      const result = await done;
      if (result.error) throw fromPlain(result.error);
    } finally {
      await thread.worker.terminate();
    }
  };
  return {
    port,
    ...(tables ? { tables } : {}),
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}
