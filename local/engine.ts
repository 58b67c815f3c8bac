import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { StateMachine, StateMachineDefinition } from 'aws-local-stepfunctions';
import { STEPS, type StepName } from '#contracts/steps.ts';
import type { OtherPlaceholder } from '#contracts/workflows.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { CallbackTasks, TASK_TOKEN_PLACEHOLDER } from './callbacks.ts';
import { localIntegrations } from './integrations/index.ts';
import { type HandlerWrapper, localFunctionArn, type StepHandler } from './integrations/lambda.ts';
import { LOCAL_TOPIC_ARN } from './integrations/sns.ts';
import type { BeforeTask, LocalIntegration, TaskTarget } from './integrations/types.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './lambda-context.ts';
import { PROJECT_ROOT } from './root.ts';

export { type HandlerWrapper, localFunctionArn, type StepHandler } from './integrations/lambda.ts';
export { LOCAL_TOPIC_ARN, NOTIFICATIONS_FILE } from './integrations/sns.ts';
export type { LocalIntegration, TaskInfo, TaskTarget } from './integrations/types.ts';

export interface LocalEngineOptions {
  /** Folder of the local stack; the notifier appends to `<home>/notifications.jsonl`. */
  home: string;
  /** Handlers used instead of the step modules (engine tests). @default the `handler` export of `STEPS[step].entry` */
  handlers?: Partial<Record<StepName, StepHandler>>;
  /** The context every step runs with (stores, clients, loop starter). @default each handler reads its environment */
  context?: KaizenContext;
  /** Integrations tried before the built-in ones (Lambda, SNS), e.g. a callback task or a service job. */
  integrations?: LocalIntegration[];
  /** Wraps every step's handler (fault injection in tests). */
  wrapHandler?: HandlerWrapper;
  /** Project root that relative definition paths and step entries resolve against. @default the folder above `local/` */
  root?: string;
  /** Timeout of the in-process Lambda functions, seen through `context.getRemainingTimeInMillis()`. @default 900 */
  lambdaTimeoutSeconds?: number;
  /** The callback tasks `waitForTaskToken` Tasks wait on (the local stack's, which its Step Functions API answers). */
  callbacks?: CallbackTasks;
}

export interface LocalRunOptions {
  /** `$$.Execution.Name`. @default a random UUID */
  executionName?: string;
  /** How long every Wait state waits, whatever it says. @default 0 */
  waitMs?: number;
  /** Awaited before every Task runs (the demo lets simulated time pass here). */
  beforeTask?: BeforeTask;
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
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
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
  /** `timed`: the engine times the task from its state input's TimeoutSecondsPath. */
  tasks: Record<string, { resource: string; target: TaskTarget; timed?: boolean }>;
  retryStates: string[];
  waitStates: string[];
}

// AWS has no default Task timeout; the library's 60 s default would cut long local training runs.
const NO_TASK_TIMEOUT_SECONDS = 2_147_483;

/** The parameter that carries a Task's `TimeoutSecondsPath` value to the engine's own timer (see {@link timeoutFromStateInput}). */
const TIMEOUT_PARAMETER = '__kaizenTimeoutSeconds';

/**
 * Step Functions reads `TimeoutSecondsPath` from the state's input; aws-local-stepfunctions 3 reads it from the
 * effective input (after `Parameters`), where the path no longer points at anything. The engine resolves it as
 * AWS does, through one extra parameter (evaluated against the state input like every other), and times the
 * task itself. `HeartbeatSecondsPath` is dropped: heartbeats are not enforced locally.
 */
function timeoutFromStateInput(name: string, state: AnyState): boolean {
  const task = state as {
    TimeoutSecondsPath?: string;
    HeartbeatSecondsPath?: string;
    Parameters?: Record<string, unknown>;
  };
  delete task.HeartbeatSecondsPath;
  if (task.TimeoutSecondsPath === undefined) return false;
  if (!task.Parameters) throw new Error(`Task state ${name}: TimeoutSecondsPath needs Parameters locally`);
  task.Parameters = { ...task.Parameters, [`${TIMEOUT_PARAMETER}.$`]: task.TimeoutSecondsPath };
  delete task.TimeoutSecondsPath;
  return true;
}

/**
 * Runs a task under the timeout its state input gave (removing the carrier parameter): past it the task fails
 * with States.Timeout and its signal aborts, so a callback stops waiting (a late answer finds no task).
 */
function withStateInputTimeout(
  run: (input: unknown, signal: AbortSignal) => Promise<unknown>,
  ended: AbortSignal,
): (input: unknown) => Promise<unknown> {
  return async (input) => {
    const { [TIMEOUT_PARAMETER]: seconds, ...rest } = input as Record<string, unknown>;
    if (!Number.isInteger(seconds) || (seconds as number) < 1) {
      throw Object.assign(
        new Error(`TimeoutSecondsPath does not point at a positive integer (${String(seconds)})`),
        {
          name: 'States.Runtime',
        },
      );
    }
    const attempt = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          attempt.abort();
          reject(Object.assign(new Error('the task timed out'), { name: 'States.Timeout' }));
        },
        (seconds as number) * 1000,
      );
    });
    try {
      return await Promise.race([run(rest, AbortSignal.any([ended, attempt.signal])), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Definitions (after substitution) the library has already validated in this process. */
const validated = new Set<string>();

const OTHER_LOCAL_VALUES: Record<OtherPlaceholder, string> = {
  NotificationTopicArn: LOCAL_TOPIC_ARN,
  SageMakerRoleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/kaizen-sagemaker-local`,
};

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
 * the CDK app deploys, with local ARNs substituted and every Task state run by the local integration of
 * its resource (`local/integrations/`: the step's handler in-process, the file-based notifier for
 * `sns:publish`). Retries do not wait; Wait states wait `waitMs`. Nothing falls back to calling AWS: a
 * Task without a local integration is an error.
 */
export class LocalEngine {
  private readonly root: string;
  private readonly integrations: LocalIntegration[];
  /** Executions in flight: how to abort each, and its tasks still running. */
  private readonly running = new Map<string, { abort: () => void; tasks: Set<Promise<unknown>> }>();
  /** Executions that `states:startExecution` tasks started, running in the background. */
  private background: Promise<LocalExecution>[] = [];

  constructor(options: LocalEngineOptions) {
    this.root = options.root ?? PROJECT_ROOT;
    this.integrations = [
      ...(options.integrations ?? []),
      ...localIntegrations({
        home: options.home,
        root: this.root,
        handlers: options.handlers,
        context: options.context,
        lambdaTimeoutSeconds: options.lambdaTimeoutSeconds ?? 900,
        wrapHandler: options.wrapHandler,
        callbacks: options.callbacks ?? new CallbackTasks(),
        startExecution: (arn, name, input) => this.startInBackground(arn, name, input),
      }),
    ];
  }

  /** Reads, substitutes and checks a definition, and lists how each state will be overridden. */
  async prepare(aslPath: string): Promise<PreparedMachine> {
    const path = resolve(this.root, aslPath);
    const text = substitutePlaceholders(await readFile(path, 'utf8'), localSubstitutions(), aslPath);
    const definition = JSON.parse(text) as StateMachineDefinition;
    const tasks: PreparedMachine['tasks'] = {};
    const retryStates = new Set<string>();
    const waitStates = new Set<string>();

    walkStates(definition.States, (name, state) => {
      normalizeResultPaths(state);
      if ('Retry' in state && state.Retry) retryStates.add(name);
      if (state.Type === 'Wait') waitStates.add(name);
      if (state.Type !== 'Task') return;
      const { Resource: resource } = state;
      const target = this.integrationOf(resource)?.target;
      if (target === undefined)
        throw new Error(`${aslPath}: Task state ${name} uses ${resource}, which has no local implementation`);
      const known = tasks[name];
      // Overrides are keyed by state name, so two Tasks of one name must do the same thing.
      if (known && known.resource !== resource)
        throw new Error(`${aslPath}: two Task states are named ${name}`);
      const timed = timeoutFromStateInput(name, state);
      tasks[name] = { resource, target, ...(timed ? { timed } : {}) };
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
    const { StateMachine, ExecutionError, ExecutionTimeoutError, ExecutionAbortedError } = await import(
      'aws-local-stepfunctions'
    );
    const key = JSON.stringify(machine.definition);
    // The library's validator costs ~100 ms per construction; a definition is checked once per process.
    const stateMachine = new StateMachine(machine.definition, {
      validationOptions: { noValidate: validated.has(key) },
    });
    validated.add(key);
    const executionName = options.executionName ?? randomUUID();
    const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stateMachine:kaizen-${machine.name}`;
    const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:execution:kaizen-${machine.name}:${executionName}`;

    const tasks = new Set<Promise<unknown>>();
    // Ends tasks that wait on something outside the engine (callbacks) when the execution ends.
    const ended = new AbortController();
    const taskResourceLocalHandlers = Object.fromEntries(
      Object.entries(machine.tasks).map(([state, { resource, target, timed }]) => {
        // prepare() found an integration for every Task resource.
        const integration = this.integrationOf(resource)?.integration as LocalIntegration;
        const call = (input: unknown, signal: AbortSignal) => {
          const task = integration.run({
            state,
            resource,
            target,
            input,
            beforeTask: options.beforeTask,
            signal,
          });
          tasks.add(task);
          const forget = () => tasks.delete(task);
          task.then(forget, forget);
          return task;
        };
        const run = timed
          ? withStateInputTimeout(call, ended.signal)
          : (input: unknown) => call(input, ended.signal);
        return [state, run];
      }),
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
        // Each callback task replaces this with a token of its own.
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    });

    const result: Omit<LocalExecution, 'events'> & { events?: ExecutionEvent[] } = {
      status: 'SUCCEEDED',
      executionName,
      executionArn,
    };
    this.running.set(executionName, { abort: execution.abort, tasks });
    try {
      result.output = await execution.result;
    } catch (error) {
      if (error instanceof ExecutionAbortedError) {
        result.status = 'ABORTED';
        result.error = { name: 'States.Aborted', cause: 'the execution was aborted' };
      } else if (error instanceof ExecutionError) {
        const cause = error.cause instanceof Error ? error.cause : new Error(String(error.cause));
        result.status = 'FAILED';
        result.error = { name: cause.name, cause: cause.message };
      } else if (error instanceof ExecutionTimeoutError) {
        result.status = 'TIMED_OUT';
        result.error = { name: 'States.Timeout', cause: error.message };
      } else {
        throw error;
      }
    } finally {
      this.running.delete(executionName);
      ended.abort();
    }
    const events: ExecutionEvent[] = [];
    for await (const event of execution.eventLogs) events.push(toEvent(event));
    return { ...result, events };
  }

  /**
   * Starts an execution of one of the local definitions by its ARN (`...:stateMachine:kaizen-<name>` runs
   * `statemachines/<name>.asl.json`), as StartExecution does: it runs on while the caller goes on.
   */
  private startInBackground(stateMachineArn: string, name: string, input: unknown): string {
    const machine = /:stateMachine:kaizen-([a-z0-9-]+)$/.exec(stateMachineArn)?.[1];
    if (!machine) {
      throw Object.assign(new Error(`State Machine Does Not Exist: ${stateMachineArn}`), {
        name: 'StepFunctions.StateMachineDoesNotExistException',
      });
    }
    this.background.push(this.run(`statemachines/${machine}.asl.json`, input, { executionName: name }));
    return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:execution:kaizen-${machine}:${name}`;
  }

  /** Waits for the executions that tasks started in the background (and those they start), in start order. */
  async settleBackground(): Promise<LocalExecution[]> {
    const done: LocalExecution[] = [];
    while (this.background.length > 0) {
      const batch = this.background;
      this.background = [];
      done.push(...(await Promise.all(batch)));
    }
    return done;
  }

  /**
   * Aborts every execution in flight (a local run interrupted by SIGINT) and waits for the tasks they were
   * running to settle (at most `settleMs`), so nothing writes after the caller cleans up. Returns the aborted
   * executions' names.
   */
  async abortAll(settleMs = 10_000): Promise<string[]> {
    const aborted = [...this.running.entries()];
    for (const [, { abort }] of aborted) abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(aborted.flatMap(([, { tasks }]) => [...tasks])),
      new Promise((done) => {
        timer = setTimeout(done, settleMs);
      }),
    ]);
    clearTimeout(timer);
    return aborted.map(([name]) => name);
  }

  /** The integration that runs `resource`, and its target name; undefined when none does. */
  private integrationOf(resource: string): { integration: LocalIntegration; target: TaskTarget } | undefined {
    for (const integration of this.integrations) {
      const target = integration.target(resource);
      if (target !== undefined) return { integration, target };
    }
    return undefined;
  }
}
