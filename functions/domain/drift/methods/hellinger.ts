import type { DriftMethodDefinition } from './types.ts';

/** Hellinger distance, on any kind of feature: drift at >= 0.1, major at >= 0.2. */
export const hellinger = {
  name: 'hellinger',
  kinds: ['numeric', 'categorical', 'binary'],
  rule: { test: 'distance', strict: false, threshold: 0.1, major: 0.2 },
  numeric: (scores) => scores.hellinger,
  categorical: (scores) => scores.hellinger,
} as const satisfies DriftMethodDefinition;
