import type { DriftMethodDefinition } from './types.ts';

/** Jensen-Shannon distance (base 2), on any kind of feature: drift at >= 0.1, major at >= 0.2. */
export const jensenshannon = {
  name: 'jensenshannon',
  kinds: ['numeric', 'categorical', 'binary'],
  rule: { test: 'distance', strict: false, threshold: 0.1, major: 0.2 },
  numeric: (scores) => scores.jensenShannon,
  categorical: (scores) => scores.jensenShannon,
} as const satisfies DriftMethodDefinition;
