import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import { type OTHER_PLACEHOLDERS, STEPS, type StepName } from '../functions/steps.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, lambdaContext } from './lambda-context.ts';

/** A Lambda handler as the runtime calls it (middy handlers included). */
export type StepHandler = (event: unknown, context: Context) => unknown;

/** What a Task state does locally: one of the steps' handlers, or the notifier. */
export type TaskTarget = StepName | 'notify';

export interface TaskInfo {
  /** Name of the Task state. */
  state: string;
  step: TaskTarget;
  /** The effective input (after `InputPath`/`Parameters`). */
  input: unknown;
}

export interface LocalEngineOptions {
  /** Folder of the local stack; the notifier appends to `<home>/notifications.jsonl`. */
  home: string;
  /** Handlers used instead of the step modules (engine tests). @default the `handler` export of `STEPS[step].entry` */
  handlers?: Partial<Record<StepName, StepHandler>>;
  /** Project root that relative definition paths and step entries resolve against. @default the folder above `local/` */
  root?: string;
  /** Timeout of the in-process Lambda functions, seen through `context.getRemainingTimeInMillis()`. @default 900 */
  lambdaTimeoutSeconds?: number;
}

export interface LocalRunOptions {
  /** `$$.Execution.Name`. @default a random UUID */
  executionName?: string;
  /** How long every Wait state waits, whatever it says. @default 0 */
  waitMs?: number;
  /** Awaited before every Task runs (the demo lets simulated time pass here). */
  beforeTask?: (info: TaskInfo) => void | Promise<void>;
}

export interface ExecutionEvent {
  /** The engine's event type: ExecutionStarted, StateEntered, StateRetried, StateCaught, ... */
  type: string;
  state?: string;
  /** Iteration of the enclosing Map state. */
  index?: number;
  /** ISO timestamp. */
  at: string;
  error?: { name: string; cause: string };
}

export interface LocalExecution {
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  output?: unknown;
  /** For a Lambda error, `cause` is the runtime's JSON (`{errorType, errorMessage, trace}`), as on AWS. */
  error?: { name: string; cause: string };
  executionName: string;
  executionArn: string;
  events: ExecutionEvent[];
}

/** How each Task state of a definition runs locally, keyed by state name (nested states included). */
export interface PreparedMachine {
  name: string;
  definition: StateMachineDefinition;
  tasks: Record<string, { resource: string; target: TaskTarget | 'lambda:invoke' }>;
  retryStates: string[];
  waitStates: string[];
}

/** Name of the notifier's output file inside the home folder. */
export const NOTIFICATIONS_FILE = 'notifications.jsonl';
export const LOCAL_TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:kaizen-notifications`;

const SNS_PUBLISH = 'arn:aws:states:::sns:publish';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
/** Step Functions' cap on a state's input or output. */
const MAX_PAYLOAD_BYTES = 256 * 1024;
// AWS has no default Task timeout; the library's 60 s default would cut long local training runs.
const NO_TASK_TIMEOUT_SECONDS = 2_147_483;

/** Definitions (after substitution) the library has already validated in this process. */
const validated = new Set<string>();

const OTHER_LOCAL_VALUES: Record<(typeof OTHER_PLACEHOLDERS)[number], string> = {
  NotificationTopicArn: LOCAL_TOPIC_ARN,
};

/** ARN of a step's function as the local definitions name it. */
export function localFunctionArn(step: StepName): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:kaizen-${step}`;
}

/** The value of every placeholder of the definitions when they run locally. */
export function localSubstitutions(): Record<string, string> {
  const steps = (Object.keys(STEPS) as StepName[]).map((step) => [
    STEPS[step].placeholder,
    localFunctionArn(step),
  ]);
  return { ...Object.fromEntries(steps), ...OTHER_LOCAL_VALUES };
}

/** Replaces every `${Name}`; an unknown name is an error, as a missing CDK substitution would be. */
export function substitutePlaceholders(text: string, values: Record<string, string>, source: string): string {
  return text.replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new Error(
        `${source}: unknown placeholder \${${name}} (known: ${Object.keys(values).join(', ')})`,
      );
    }
    return value;
  });
}

type AnyState = StateMachineDefinition['States'][string];
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type EngineRunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type TaskOverrides = NonNullable<NonNullable<EngineRunOptions['overrides']>['taskResourceLocalHandlers']>;

/** Calls `visit` for every state, descending into Map item processors and Parallel branches. */
function walkStates(states: Record<string, AnyState>, visit: (name: string, state: AnyState) => void): void {
  for (const [name, state] of Object.entries(states)) {
    visit(name, state);
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) walkStates(processor.States, visit);
    } else if (state.Type === 'Parallel') {
      for (const branch of state.Branches) walkStates(branch.States, visit);
    }
  }
}

/**
 * aws-local-stepfunctions 3 treats `"ResultPath": "$"` as a key named `$` instead of "replace the
 * input"; leaving it out means the same in ASL and works there.
 */
function normalizeResultPaths(state: AnyState): void {
  const withResult = state as { ResultPath?: string | null; Catch?: { ResultPath?: string }[] };
  if (withResult.ResultPath === '$') delete withResult.ResultPath;
  for (const catcher of withResult.Catch ?? []) {
    if (catcher.ResultPath === '$') delete catcher.ResultPath;
  }
}

/** The error a Lambda function's failure becomes in Step Functions: same name, runtime JSON as cause. */
function lambdaError(thrown: unknown): Error {
  const original = thrown instanceof Error ? thrown : new Error(String(thrown));
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
function lambdaResult(result: unknown, state: string): unknown {
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

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? '' : JSON.stringify(cause);
}

function toEvent(event: EventLog): ExecutionEvent {
  const out: ExecutionEvent = { type: event.type, at: new Date(event.timestamp).toISOString() };
  if ('state' in event) out.state = event.state.name;
  else if ('parentState' in event) out.state = event.parentState.name;
  if ('index' in event && event.index !== undefined) out.index = event.index;
  if ('Error' in event) out.error = { name: event.Error, cause: causeText(event.Cause) };
  return out;
}

/**
 * Runs the state-machine definitions of `statemachines/` with aws-local-stepfunctions: the same file
 * the CDK app deploys, with local ARNs substituted and every Task state replaced by the step's
 * handler in-process (or the file-based notifier for `sns:publish`). Retries do not wait; Wait states
 * wait `waitMs`. Nothing falls back to calling AWS: a Task without a local implementation is an error.
 */
export class LocalEngine {
  private readonly root: string;
  private readonly modules = new Map<StepName, Promise<StepHandler>>();

  constructor(private readonly options: LocalEngineOptions) {
    this.root = options.root ?? fileURLToPath(new URL('..', import.meta.url));
  }

  /** Reads, substitutes and checks a definition, and lists how each state will be overridden. */
  async prepare(aslPath: string): Promise<PreparedMachine> {
    const path = resolve(this.root, aslPath);
    const text = substitutePlaceholders(await readFile(path, 'utf8'), localSubstitutions(), aslPath);
    const definition = JSON.parse(text) as StateMachineDefinition;
    const functions = new Map(
      (Object.keys(STEPS) as StepName[]).map((step) => [localFunctionArn(step), step]),
    );
    const tasks: PreparedMachine['tasks'] = {};
    const retryStates = new Set<string>();
    const waitStates = new Set<string>();

    walkStates(definition.States, (name, state) => {
      normalizeResultPaths(state);
      if ('Retry' in state && state.Retry) retryStates.add(name);
      if (state.Type === 'Wait') waitStates.add(name);
      if (state.Type !== 'Task') return;
      const { Resource: resource } = state;
      const step = functions.get(resource);
      const target =
        step ?? (resource === SNS_PUBLISH ? 'notify' : resource === LAMBDA_INVOKE ? 'lambda:invoke' : null);
      if (!target)
        throw new Error(`${aslPath}: Task state ${name} uses ${resource}, which has no local implementation`);
      const known = tasks[name];
      // Overrides are keyed by state name, so two Tasks of one name must do the same thing.
      if (known && known.resource !== resource)
        throw new Error(`${aslPath}: two Task states are named ${name}`);
      tasks[name] = { resource, target };
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = NO_TASK_TIMEOUT_SECONDS;
      }
    });

    return {
      name: basename(path).replace(/\.asl\.json$|\.json$/, ''),
      definition,
      tasks,
      retryStates: [...retryStates],
      waitStates: [...waitStates],
    };
  }

  /**
   * Runs one execution to its end. Failures of the execution (a Fail state, an uncaught task error)
   * resolve with status FAILED; an invalid definition or unknown placeholder rejects.
   */
  async run(aslPath: string, input: unknown, options: LocalRunOptions = {}): Promise<LocalExecution> {
    const machine = await this.prepare(aslPath);
    // Loaded on first run: the engine and its AWS SDK Lambda client cost ~200 ms to import.
    const { StateMachine, ExecutionError, ExecutionTimeoutError } = await import('aws-local-stepfunctions');
    const key = JSON.stringify(machine.definition);
    // The library's validator costs ~100 ms per construction; a definition is checked once per process.
    const stateMachine = new StateMachine(machine.definition, {
      validationOptions: { noValidate: validated.has(key) },
    });
    validated.add(key);
    const executionName = options.executionName ?? randomUUID();
    const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:kaizen-${machine.name}`;
    const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:execution:kaizen-${machine.name}:${executionName}`;

    const taskResourceLocalHandlers = Object.fromEntries(
      Object.entries(machine.tasks).map(([state, { target }]) => [
        state,
        (taskInput: unknown) => this.runTask(state, target, taskInput, options),
      ]),
    ) as TaskOverrides;
    const execution = stateMachine.run(input as Parameters<StateMachine['run']>[0], {
      overrides: {
        taskResourceLocalHandlers,
        retryIntervalOverrides: Object.fromEntries(machine.retryStates.map((state) => [state, 0])),
        waitTimeOverrides: Object.fromEntries(
          machine.waitStates.map((state) => [state, options.waitMs ?? 0]),
        ),
      },
      // The library sets Execution.StartTime and Input itself; Id and Name pass through.
      context: {
        Execution: { Id: executionArn, Name: executionName },
        StateMachine: { Id: stateMachineArn, Name: `kaizen-${machine.name}` },
      },
    });

    const result: Omit<LocalExecution, 'events'> & { events?: ExecutionEvent[] } = {
      status: 'SUCCEEDED',
      executionName,
      executionArn,
    };
    try {
      result.output = await execution.result;
    } catch (error) {
      if (error instanceof ExecutionError) {
        const cause = error.cause instanceof Error ? error.cause : new Error(String(error.cause));
        result.status = 'FAILED';
        result.error = { name: cause.name, cause: cause.message };
      } else if (error instanceof ExecutionTimeoutError) {
        result.status = 'TIMED_OUT';
        result.error = { name: 'States.Timeout', cause: error.message };
      } else {
        throw error;
      }
    }
    const events: ExecutionEvent[] = [];
    for await (const event of execution.eventLogs) events.push(toEvent(event));
    return { ...result, events };
  }

  private async runTask(
    state: string,
    target: TaskTarget | 'lambda:invoke',
    taskInput: unknown,
    options: LocalRunOptions,
  ): Promise<unknown> {
    if (target === 'notify') {
      await options.beforeTask?.({ state, step: 'notify', input: taskInput });
      return this.notify(taskInput);
    }
    if (target === 'lambda:invoke') {
      const { FunctionName, Payload } = (taskInput ?? {}) as { FunctionName?: string; Payload?: unknown };
      const step = this.stepOfFunction(FunctionName);
      const output = await this.invoke(state, step, Payload ?? {}, options);
      return { ExecutedVersion: '$LATEST', Payload: output, StatusCode: 200 };
    }
    return this.invoke(state, target, taskInput, options);
  }

  private async invoke(
    state: string,
    step: StepName,
    payload: unknown,
    options: LocalRunOptions,
  ): Promise<unknown> {
    await options.beforeTask?.({ state, step, input: payload });
    const handler = await this.handler(step);
    const context = lambdaContext({
      functionName: `kaizen-${step}`,
      memoryMb: STEPS[step].memoryMb,
      timeoutSeconds: this.options.lambdaTimeoutSeconds ?? 900,
    });
    let output: unknown;
    try {
      // The function gets its own copy, serialized as Lambda would.
      output = await handler(JSON.parse(JSON.stringify(payload ?? null)), context);
    } catch (error) {
      throw lambdaError(error);
    }
    return lambdaResult(output, state);
  }

  private stepOfFunction(functionName: string | undefined): StepName {
    // Accepts a name, an ARN, or either with a `:qualifier`.
    const name = functionName?.replace(/^arn:aws:lambda:[^:]*:[^:]*:function:/, '').split(':')[0];
    const step = (Object.keys(STEPS) as StepName[]).find((s) => `kaizen-${s}` === name);
    if (!step) {
      const error = new Error(`Function not found: ${functionName}`);
      error.name = 'Lambda.ResourceNotFoundException';
      throw error;
    }
    return step;
  }

  private handler(step: StepName): Promise<StepHandler> {
    const injected = this.options.handlers?.[step];
    if (injected) return Promise.resolve(injected);
    let loading = this.modules.get(step);
    if (!loading) {
      const entry = STEPS[step].entry;
      loading = import(pathToFileURL(resolve(this.root, entry)).href).then(
        (module: { handler?: unknown }) => {
          if (typeof module.handler !== 'function')
            throw new Error(`${entry} does not export a handler function`);
          return module.handler as StepHandler;
        },
      );
      // A module that failed to load is retried on the next call (the file may have been fixed).
      loading.catch(() => this.modules.delete(step));
      this.modules.set(step, loading);
    }
    return loading;
  }

  /** The local SNS: one JSON line per message in `<home>/notifications.jsonl`. */
  private async notify(taskInput: unknown): Promise<{ MessageId: string }> {
    const { TopicArn, Subject, Message } = (taskInput ?? {}) as {
      TopicArn?: string;
      Subject?: string;
      Message?: string;
    };
    const line = { at: new Date().toISOString(), topicArn: TopicArn, subject: Subject, message: Message };
    await mkdir(this.options.home, { recursive: true });
    await appendFile(join(this.options.home, NOTIFICATIONS_FILE), `${JSON.stringify(line)}\n`);
    return { MessageId: randomUUID() };
  }
}
