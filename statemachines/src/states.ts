/**
 * A small builder for the workflows' Amazon States Language, with the house Retry and Catch policy in one
 * place. `npm run asl` writes `statemachines/*.asl.json` from the definitions in this folder; the JSON
 * stays committed (CDK and the local engine both read it) and a test fails when it is stale.
 */
import { RETRYABLE_ERRORS } from '#contracts/errors.ts';
import { STEPS, type StepName } from '#contracts/steps.ts';
import { LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN } from '#contracts/workflows.ts';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type State = { [key: string]: Json };

export interface Definition {
  Comment: string;
  StartAt: string;
  States: Record<string, State>;
}

/** Errors of the Lambda service itself, which Step Functions recommends retrying. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** The house Retry of every Lambda step: service errors and the catalogue's retryable errors, with jitter. */
export const HOUSE_RETRY: State[] = [
  {
    ErrorEquals: [...LAMBDA_SERVICE_ERRORS, ...RETRYABLE_ERRORS],
    IntervalSeconds: 2,
    MaxAttempts: 4,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
];

/** `${Name}`: a placeholder each engine substitutes (CDK `definitionSubstitutions`, the local engine its own ARNs). */
export function placeholder(name: string): string {
  return `\${${name}}`;
}

/** A Catch clause: the error (name and cause) goes to `$.error` and the run continues at `next`. */
export function catchTo(
  next: string,
  errors: readonly string[] = ['States.ALL'],
  resultPath = '$.error',
): State {
  return { ErrorEquals: [...errors], ResultPath: resultPath, Next: next };
}

/** Parameters that pass the execution's name and start time to a step. */
export const EXECUTION: State = { 'name.$': '$$.Execution.Name', 'startTime.$': '$$.Execution.StartTime' };

/** `{"run.$": "$.run", ...}`: pass these fields of the state to a step. */
export function fields(...names: string[]): State {
  return Object.fromEntries(names.map((name) => [`${name}.$`, `$.${name}`]));
}

export interface LambdaTaskOptions {
  comment?: string;
  parameters: State;
  /** Where the step's result goes; `$` replaces the state. */
  resultPath: string;
  /** Catch clauses, first match wins; the house policy catches everything else at the failure path. */
  catch?: State[];
  next: string;
}

/**
 * A Task that calls a step's function (`${<Step>FunctionArn}`), with the house Retry policy and the
 * given Catch clauses.
 */
export function lambdaTask(step: StepName, options: LambdaTaskOptions): State {
  return {
    ...(options.comment ? { Comment: options.comment } : {}),
    Type: 'Task',
    Resource: placeholder(STEPS[step].placeholder),
    Parameters: options.parameters,
    ResultPath: options.resultPath,
    Retry: HOUSE_RETRY,
    ...(options.catch ? { Catch: options.catch } : {}),
    Next: options.next,
  };
}

/** A Choice state: the first matching rule's `Next`, else `otherwise`. */
export function choice(rules: State[], otherwise: string): State {
  return { Type: 'Choice', Choices: rules, Default: otherwise };
}

export interface CallbackTaskOptions extends Omit<LambdaTaskOptions, 'parameters'> {
  /** The function's payload; `token` is added (`$$.Task.Token`). */
  payload: State;
  /** Paths to whole seconds in the state: the task fails with States.Timeout / States.HeartbeatTimeout past them. */
  timeoutSecondsPath: string;
  heartbeatSecondsPath: string;
}

/**
 * A Task that invokes a step's function with a task token and waits until someone answers the token
 * (SendTaskSuccess, whose output is the result, or SendTaskFailure). A retried invocation gets a new token.
 */
export function callbackTask(step: StepName, options: CallbackTaskOptions): State {
  if (STEPS[step].invocation !== 'callback') throw new Error(`${step} is not a callback step`);
  return {
    ...(options.comment ? { Comment: options.comment } : {}),
    Type: 'Task',
    Resource: LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN,
    Parameters: {
      FunctionName: placeholder(STEPS[step].placeholder),
      Payload: { ...options.payload, 'token.$': '$$.Task.Token' },
    },
    TimeoutSecondsPath: options.timeoutSecondsPath,
    HeartbeatSecondsPath: options.heartbeatSecondsPath,
    ResultPath: options.resultPath,
    Retry: HOUSE_RETRY,
    ...(options.catch ? { Catch: options.catch } : {}),
    Next: options.next,
  };
}

export interface ServiceTaskOptions {
  comment?: string;
  resultSelector?: State;
  /** Where the result goes; null drops it. */
  resultPath: string | null;
  catch?: State[];
  /** The next state; none ends the branch (a Map item). */
  next?: string;
}

/**
 * A Task that calls another AWS service (an optimized or AWS SDK integration) with these parameters. No Retry:
 * callers decide, since a repeated create may fail where the first call succeeded.
 */
export function serviceTask(resource: string, parameters: State, options: ServiceTaskOptions): State {
  return {
    ...(options.comment ? { Comment: options.comment } : {}),
    Type: 'Task',
    Resource: resource,
    Parameters: parameters,
    ...(options.resultSelector ? { ResultSelector: options.resultSelector } : {}),
    ResultPath: options.resultPath,
    ...(options.catch ? { Catch: options.catch } : {}),
    ...(options.next ? { Next: options.next } : { End: true }),
  };
}

export interface JobTaskOptions extends ServiceTaskOptions {
  /** The service's request: each field is copied from this path of the state (`<path>.<Field>`). */
  requestPath: string;
  fields: readonly string[];
  /** Fields given as they are (e.g. the role ARN placeholder). */
  fixed?: State;
}

/**
 * A `.sync` service-job Task (a SageMaker training or processing job): Step Functions starts the job with the
 * request a step prepared and waits for it. No Retry: a job name is used once, so a retry could only fail;
 * a failed job fails the run, which is recorded, and the next check retrains again.
 */
export function jobTask(resource: string, options: JobTaskOptions): State {
  const parameters: State = { ...(options.fixed ?? {}) };
  for (const field of options.fields) parameters[`${field}.$`] = `${options.requestPath}.${field}`;
  return serviceTask(resource, parameters, options);
}
