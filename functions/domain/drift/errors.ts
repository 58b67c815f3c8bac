/** A sample with no usable value (empty, or only missing/infinite values) was given to a drift computation. */
export class EmptySampleError extends Error {
  override readonly name = 'EmptySampleError';
  constructor(readonly sample: string) {
    super(`${sample} sample is empty: a drift score needs at least one finite value`);
  }
}

/** Drift inputs that cannot be compared: a non-numeric value in a numeric column, a method that does not fit. */
export class DriftInputError extends Error {
  override readonly name = 'DriftInputError';
}
