/**
 * The "Lambda runtime" of one function in its own Node.js process, forked by `process-lambda.ts` with the
 * function's environment: loads the handler module named by the first argument once (the cold start) and
 * answers each `{id, event, ...}` message with `{id, ok: true, result}` or `{id, ok: false, error}`.
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

/** What the runner answers. */
export type RunnerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string; stack?: string } };

type Handler = (event: unknown, context: Context) => unknown;

const modulePath = process.argv[2];
if (!modulePath) throw new Error('usage: process-lambda-runner.ts <handler module>');

const loading: Promise<Handler> = import(pathToFileURL(modulePath).href).then((module: { handler?: unknown }) => {
  if (typeof module.handler !== 'function') throw new Error(`${modulePath} does not export a handler function`);
  return module.handler as Handler;
});
// Reported with the first invocation, as Lambda reports an init error.
loading.catch(() => undefined);

function reply(message: RunnerReply): void {
  process.send?.(message);
}

process.on('message', (message: RunnerInvocation) => {
  const { id, event, functionName, memoryMb, timeoutSeconds } = message;
  loading
    .then((handler) => handler(event, lambdaContext({ functionName, memoryMb, timeoutSeconds })))
    .then(
      (result) => reply({ id, ok: true, result: result ?? null }),
      (thrown: unknown) => {
        const error = thrown instanceof Error ? thrown : new Error(String(thrown));
        reply({ id, ok: false, error: { name: error.name, message: error.message, stack: error.stack } });
      },
    );
});

// The parent went away (or closed the function): end as the sandbox would.
process.on('disconnect', () => process.exit(0));
