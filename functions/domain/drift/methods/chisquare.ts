import type { DriftMethodDefinition } from './types.ts';

/** Chi-squared goodness of fit on labels: drift when p < 0.05, major when p < 0.001. */
export const chisquare = {
  name: 'chisquare',
  kinds: ['categorical', 'binary'],
  rule: { test: 'p-value', strict: true, threshold: 0.05, major: 0.001 },
  // No current row in a known category: as far from the reference as it gets.
  categorical: (scores) => scores.chiSquared?.pValue ?? 0,
} as const satisfies DriftMethodDefinition;
