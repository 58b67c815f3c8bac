import type { DriftMethodDefinition } from './types.ts';

/** Population stability index, on any kind of feature: drift at >= 0.1, major at >= 0.25. */
export const psi = {
  name: 'psi',
  kinds: ['numeric', 'categorical', 'binary'],
  rule: { test: 'distance', strict: false, threshold: 0.1, major: 0.25 },
  numeric: (scores) => scores.psi,
  categorical: (scores) => scores.psi,
} as const satisfies DriftMethodDefinition;
