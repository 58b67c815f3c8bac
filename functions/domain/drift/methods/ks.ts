import type { DriftMethodDefinition } from './types.ts';

/** Two-sample Kolmogorov-Smirnov test on numbers: drift when p <= 0.05, major when p <= 0.001. */
export const ks = {
  name: 'ks',
  kinds: ['numeric'],
  rule: { test: 'p-value', strict: false, threshold: 0.05, major: 0.001 },
  numeric: (scores) => scores.ks.pValue,
} as const satisfies DriftMethodDefinition;
