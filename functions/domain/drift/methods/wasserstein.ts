import type { DriftMethodDefinition } from './types.ts';

/**
 * Wasserstein-1 distance normed by the reference standard deviation (W1 / reference std), on numbers:
 * drift at >= 0.1, major at >= 0.25.
 */
export const wasserstein = {
  name: 'wasserstein',
  kinds: ['numeric'],
  rule: { test: 'distance', strict: false, threshold: 0.1, major: 0.25 },
  numeric: (scores) => scores.wassersteinNormed,
} as const satisfies DriftMethodDefinition;
