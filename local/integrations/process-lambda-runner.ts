/**
 * The "Lambda runtime" of one function in its own Node.js process, forked by `process-lambda.ts` with the
 * function's environment: loads the handler module named by the first argument once (the cold start), says
 * `{id: 0, init: 'ready'}` (or `'failed'`), and answers each `{id, event, ...}` message with
 * `{id, ok: true, result}` or `{id, ok: false, error}`.
 *
 * Run by Node.js directly (type stripping), so it imports only Node built-ins and erasable TypeScript.
 */
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { lambdaContext } from '../lambda-context.ts';

/** What the parent sends for one invocation. */
export interface RunnerInvocation {
  id: number;
  event: unknown;
  functionName: string;
  memoryMb: number;
  timeoutSeconds: number;
}

type SerializedError = { name: string; message: string; stack?: string };

/** What the runner answers to an invocation. */
export type RunnerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: SerializedError };

/** What the runner says once its module has loaded (or failed to). */
export type RunnerInit = { id: 0; init: 'ready' } | { id: 0; init: 'failed'; error: SerializedError };

type Handler = (event: unknown, context: Context) => unknown;

const modulePath = process.argv[2];
if (!modulePath) throw new Error('usage: process-lambda-runner.ts <handler module>');

const loading: Promise<Handler> = import(pathToFileURL(modulePath).href).then(
  (module: { handler?: unknown }) => {
    if (typeof module.handler !== 'function')
      throw new Error(`${modulePath} does not export a handler function`);
    return module.handler as Handler;
  },
);
function reply(message: RunnerReply | RunnerInit): void {
  process.send?.(message);
}

function serialized(thrown: unknown): SerializedError {
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  return { name: error.name, message: error.message, stack: error.stack };
}

// An init error is also reported with every invocation, as Lambda reports it.
loading.then(
  () => reply({ id: 0, init: 'ready' }),
  (error: unknown) => reply({ id: 0, init: 'failed', error: serialized(error) }),
);

process.on('message', (message: RunnerInvocation) => {
  const { id, event, functionName, memoryMb, timeoutSeconds } = message;
  loading
    .then((handler) => handler(event, lambdaContext({ functionName, memoryMb, timeoutSeconds })))
    .then(
      (result) => reply({ id, ok: true, result: result ?? null }),
      (thrown: unknown) => reply({ id, ok: false, error: serialized(thrown) }),
    );
});

// The parent went away (or closed the function): end as the sandbox would.
process.on('disconnect', () => process.exit(0));
