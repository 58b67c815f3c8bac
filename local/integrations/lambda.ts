import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { STEPS, type StepName } from '#contracts/steps.ts';
import { LAMBDA_INVOKE, LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN } from '#contracts/workflows.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { type CallbackTasks, TASK_TOKEN_PLACEHOLDER } from '../callbacks.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, lambdaContext } from '../lambda-context.ts';
import { stepModule } from '../root.ts';
import type { BeforeTask, LocalIntegration } from './types.ts';

/** A Lambda handler as the runtime calls it (middy handlers included). */
export type StepHandler = (event: unknown, context: Context) => unknown;

/** Step Functions' cap on a state's input or output. */
const MAX_PAYLOAD_BYTES = 256 * 1024;

/** ARN of a step's function as the local definitions name it. */
export function localFunctionArn(step: StepName): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:kaizen-${step}`;
}

export interface LambdaIntegrationOptions {
  /** Project root that step entries resolve against. */
  root: string;
  /** Handlers used instead of the step modules (engine tests). */
  handlers?: Partial<Record<StepName, StepHandler>>;
  /** The context every step module's handler is bound to (`withContext`); without it, handlers read the environment. */
  context?: KaizenContext;
  /** Function timeout seen through `context.getRemainingTimeInMillis()`. */
  timeoutSeconds: number;
  /** Wraps every step's handler (fault injection: fail before or after the real step runs). */
  wrapHandler?: HandlerWrapper;
  /** Where `lambda:invoke.waitForTaskToken` Tasks wait for their token's answer. */
  callbacks: CallbackTasks;
}

/** Wraps a step's handler, e.g. to make it fail after its real work as a lost Lambda response would. */
export type HandlerWrapper = (step: StepName, handler: StepHandler) => StepHandler;

/**
 * A function's handler from its entry module (the prebuilt CLI's copy when it runs prebuilt), bound to `context`
 * when given and the handler supports it (`stepHandler`'s `withContext`).
 */
export async function importHandler(
  root: string,
  entry: string,
  context?: KaizenContext,
): Promise<StepHandler> {
  const module = (await import(pathToFileURL(stepModule(root, entry)).href)) as { handler?: unknown };
  const loaded = module.handler as (StepHandler & { withContext?: unknown }) | undefined;
  if (typeof loaded !== 'function') throw new Error(`${entry} does not export a handler function`);
  const bind = loaded.withContext as ((ctx: KaizenContext) => StepHandler) | undefined;
  return context && bind ? bind(context) : loaded;
}

/** The error a Lambda function's failure becomes in Step Functions: same name, runtime JSON as cause. */
export function lambdaError(thrown: unknown): Error {
  const original: { name: string; message: string; stack?: string } =
    typeof thrown === 'object' && thrown !== null && 'message' in thrown
      ? (thrown as { name: string; message: string; stack?: string })
      : new Error(String(thrown));
  const error = new Error(
    JSON.stringify({
      errorType: original.name,
      errorMessage: original.message,
      trace: original.stack?.split('\n') ?? [],
    }),
  );
  error.name = original.name;
  if (original.stack) error.stack = original.stack;
  return error;
}

/** Serializes a result as Lambda does, failing as Step Functions does past its payload cap. */
export function lambdaResult(result: unknown, state: string): unknown {
  const json = JSON.stringify(result ?? null);
  if (Buffer.byteLength(json) > MAX_PAYLOAD_BYTES) {
    // Terminal on AWS too: neither retried nor caught by States.ALL.
    const error = Object.assign(
      new Error(`the result of ${state} is ${Buffer.byteLength(json)} bytes, over the 256 KiB state limit`),
      { isRetryable: false, isCatchable: false },
    );
    error.name = 'States.DataLimitExceeded';
    throw error;
  }
  return JSON.parse(json);
}

/**
 * The local Lambda service: a Task whose Resource is a step's function ARN, or `lambda:invoke` with its
 * `FunctionName`, runs the step's handler module in-process with a Lambda context, a serialized copy of its
 * input, errors shaped as the runtime reports them and the 256 KiB result limit.
 */
export function lambdaIntegration(options: LambdaIntegrationOptions): LocalIntegration {
  const steps = Object.keys(STEPS) as StepName[];
  const byArn = new Map(steps.map((step) => [localFunctionArn(step), step]));
  const modules = new Map<StepName, Promise<StepHandler>>();

  const handler = async (step: StepName): Promise<StepHandler> => {
    const loaded = await load(step);
    return options.wrapHandler ? options.wrapHandler(step, loaded) : loaded;
  };

  const load = (step: StepName): Promise<StepHandler> => {
    const injected = options.handlers?.[step];
    if (injected) return Promise.resolve(injected);
    let loading = modules.get(step);
    if (!loading) {
      loading = importHandler(options.root, STEPS[step].entry, options.context);
      // A module that failed to load is retried on the next call (the file may have been fixed).
      loading.catch(() => modules.delete(step));
      modules.set(step, loading);
    }
    return loading;
  };

  const invoke = async (state: string, step: StepName, payload: unknown, beforeTask?: BeforeTask) => {
    await beforeTask?.({ state, step, input: payload });
    const run = await handler(step);
    const context = lambdaContext({
      functionName: `kaizen-${step}`,
      memoryMb: STEPS[step].memoryMb,
      timeoutSeconds: options.timeoutSeconds,
    });
    let output: unknown;
    try {
      // The function gets its own copy, serialized as Lambda would.
      output = await run(JSON.parse(JSON.stringify(payload ?? null)), context);
    } catch (error) {
      throw lambdaError(error);
    }
    return lambdaResult(output, state);
  };

  const stepOfFunction = (functionName: string | undefined): StepName => {
    // Accepts a name, an ARN, or either with a `:qualifier`.
    const name = functionName?.replace(/^arn:aws:lambda:[^:]*:[^:]*:function:/, '').split(':')[0];
    const step = steps.find((s) => `kaizen-${s}` === name);
    if (!step) {
      const error = new Error(`Function not found: ${functionName}`);
      error.name = 'Lambda.ResourceNotFoundException';
      throw error;
    }
    return step;
  };

  const targets: Record<string, string> = {
    [LAMBDA_INVOKE]: 'lambda:invoke',
    [LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN]: 'lambda:invoke.waitForTaskToken',
  };
  return {
    target: (resource) => byArn.get(resource) ?? targets[resource],
    async run({ state, target, input, beforeTask, signal }) {
      if (!Object.values(targets).includes(target))
        return invoke(state, target as StepName, input, beforeTask);
      const { FunctionName, Payload } = (input ?? {}) as { FunctionName?: string; Payload?: unknown };
      if (target === 'lambda:invoke') {
        const output = await invoke(state, stepOfFunction(FunctionName), Payload ?? {}, beforeTask);
        return { ExecutedVersion: '$LATEST', Payload: output, StatusCode: 200 };
      }
      // A token of this attempt's own, wherever the payload carries `$$.Task.Token`; wait for its answer.
      const token = options.callbacks.mint();
      const payload = JSON.parse(JSON.stringify(Payload ?? {}).replaceAll(TASK_TOKEN_PLACEHOLDER, token));
      const answered = options.callbacks.wait(token, signal);
      // Until the function has run, a rejection of the wait (the run stopped) is handled below, not unhandled.
      answered.catch(() => undefined);
      await invoke(state, stepOfFunction(FunctionName), payload, beforeTask);
      return answered;
    },
  };
}
