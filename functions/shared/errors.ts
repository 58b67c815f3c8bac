/** A failure worth retrying (throttling, a conflicting concurrent write); the state machine retries it by name. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/** The model id names no registered model. */
export class ModelNotFoundError extends Error {
  override readonly name = 'ModelNotFoundError';
}

/** The registry changed under a step (e.g. the champion moved); the step must not overwrite it. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

/** An object the step needs is missing from the bucket. */
export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
}
