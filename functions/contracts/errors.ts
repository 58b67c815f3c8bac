/**
 * The error catalogue: every error that crosses a boundary (a step to the state machine's Retry/Catch, a
 * command to the CLI's exit code) is a {@link KaizenError} declared here. Its `name` is what Step Functions
 * matches; `retryable` puts it in the house Retry policy of every Task; `userFault` makes the CLI exit 2
 * (bad input) instead of 1 (something failed). Add a new error here, not in the module that throws it.
 */
export abstract class KaizenError extends Error {
  /** Step Functions retries it with backoff (the workflow builder reads {@link RETRYABLE_ERRORS}). */
  abstract readonly retryable: boolean;
  /** The caller's input is wrong (a policy, a file, an option, an id), not the system. */
  abstract readonly userFault: boolean;
}

/** A failure worth retrying (throttling, a conflicting concurrent write); the state machine retries it by name. */
export class TransientError extends KaizenError {
  override readonly name = 'TransientError';
  readonly retryable = true;
  readonly userFault = false;
}

/** An execution or sweep input that does not match its schema; the message names each bad field. */
export class InvalidInputError extends KaizenError {
  override readonly name = 'InvalidInputError';
  readonly retryable = false;
  readonly userFault = true;
}

/** The model id names no registered model. */
export class ModelNotFoundError extends KaizenError {
  override readonly name = 'ModelNotFoundError';
  readonly retryable = false;
  readonly userFault = true;
}

/** A policy document failed validation; `issues` lists each bad field as `path: message`. */
export class PolicyError extends KaizenError {
  override readonly name = 'PolicyError';
  readonly retryable = false;
  readonly userFault = true;
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
  }
}

/** The registry changed under a step (e.g. the champion moved); the step must not overwrite it. */
export class ConflictError extends KaizenError {
  override readonly name = 'ConflictError';
  readonly retryable = false;
  readonly userFault = false;
}

/** An object the step needs is missing from the bucket. */
export class ObjectNotFoundError extends KaizenError {
  override readonly name = 'ObjectNotFoundError';
  readonly retryable = false;
  readonly userFault = false;
}

/** A file that cannot be read as its format says: the message names the source and, where known, the line. */
export class DatasetError extends KaizenError {
  override readonly name = 'DatasetError';
  readonly retryable = false;
  readonly userFault = true;
}

/** Bad input data for training or scoring: missing columns, unparsable cells, bad labels. */
export class DataError extends KaizenError {
  override readonly name = 'DataError';
  readonly retryable = false;
  readonly userFault = true;
  constructor(
    message: string,
    /** The first few problems, one per line. */
    readonly problems: string[],
    /** All problems found, including those not listed in `problems`. */
    readonly totalProblems: number = problems.length,
  ) {
    super(message);
  }
}

/** A dataset with no row at all: nothing to monitor, which is an input problem, not a statistic. */
export class EmptyDatasetError extends KaizenError {
  override readonly name = 'EmptyDatasetError';
  readonly retryable = false;
  readonly userFault = true;
}

/** A sample with no usable value (empty, or only missing/infinite values) was given to a drift computation. */
export class EmptySampleError extends KaizenError {
  override readonly name = 'EmptySampleError';
  readonly retryable = false;
  readonly userFault = true;
  constructor(readonly sample: string) {
    super(`${sample} sample is empty: a drift score needs at least one finite value`);
  }
}

/** Drift inputs that cannot be compared: a non-numeric value in a numeric column, a method that does not fit. */
export class DriftInputError extends KaizenError {
  override readonly name = 'DriftInputError';
  readonly retryable = false;
  readonly userFault = true;
}

/**
 * A step's result would pass the room Step Functions leaves in a state (256 KB). Raised by the step itself, so
 * the run's Catch records it: the engine's own `States.DataLimitExceeded` cannot be caught.
 */
export class StateTooLargeError extends KaizenError {
  override readonly name = 'StateTooLargeError';
  readonly retryable = false;
  readonly userFault = false;
}

/** The local state folder cannot be used: not a directory, not writable, or held by another command. */
export class LocalHomeError extends KaizenError {
  override readonly name = 'LocalHomeError';
  readonly retryable = false;
  /** An unusable folder is bad input; a busy one is not (try again when the other command is done). */
  readonly userFault: boolean;
  constructor(
    message: string,
    /** Another command holds the folder (its stack may be attached to read). */
    readonly busy = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.userFault = !busy;
  }
}

type NameOf<E extends abstract new (...args: never[]) => KaizenError> = InstanceType<E>['name'];

// Literal names, not `Class.name`: minified bundles rename classes, but each error's `name` field stays.
/** Names of the catalogue's retryable errors, for the workflows' Retry policy. */
export const RETRYABLE_ERRORS = ['TransientError'] as const satisfies readonly NameOf<
  typeof TransientError
>[];

/**
 * Errors of the execution input itself: the improvement loop ends in `RejectInput` on them (there is no
 * valid model to record a run against).
 */
export const INPUT_ERRORS = ['InvalidInputError', 'ModelNotFoundError'] as const satisfies readonly NameOf<
  typeof InvalidInputError | typeof ModelNotFoundError
>[];

/** Whether an error is the user's fault: a catalogue error that says so. */
export function isUserFault(error: unknown): boolean {
  return error instanceof KaizenError && error.userFault;
}
