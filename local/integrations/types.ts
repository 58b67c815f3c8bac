/** What a Task state does locally, as hooks and `PreparedMachine.tasks` see it: a step name, `notify`, ... */
export type TaskTarget = string;

export interface TaskInfo {
  /** Name of the Task state. */
  state: string;
  step: TaskTarget;
  /** The effective input (after `InputPath`/`Parameters`). */
  input: unknown;
}

/** Awaited before every Task runs (the demo lets simulated time pass here). */
export type BeforeTask = (info: TaskInfo) => void | Promise<void>;

/** One call of a Task state, as the engine hands it to the integration that runs it. */
export interface TaskCall {
  state: string;
  resource: string;
  target: TaskTarget;
  input: unknown;
  beforeTask?: BeforeTask;
  /** Aborted when the execution ends or is stopped: a task still waiting (a callback) gives up. */
  signal?: AbortSignal;
}

/**
 * The local implementation of one kind of Task resource: Lambda functions, SNS, and later callback tasks
 * and service jobs. The engine asks each integration in turn which Task resources it runs; nothing falls
 * back to calling AWS.
 */
export interface LocalIntegration {
  /** The target name of `resource` if this integration runs it, else undefined. */
  target(resource: string): TaskTarget | undefined;
  /** Runs the task and returns its result as the service would (throwing errors named as the service names them). */
  run(call: TaskCall): Promise<unknown>;
}
