import type { DriftMethodDefinition } from './types.ts';

/** Two-proportion z-test on binary features: drift when p < 0.05, major when p < 0.001. */
export const ztest = {
  name: 'ztest',
  kinds: ['binary'],
  rule: { test: 'p-value', strict: true, threshold: 0.05, major: 0.001 },
  // No current row in a known category: as far from the reference as it gets.
  categorical: (scores) => scores.zTest?.pValue ?? 0,
} as const satisfies DriftMethodDefinition;
