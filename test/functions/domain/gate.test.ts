import { describe, expect, it } from 'vitest';
import { gate } from '#domain/gate.ts';

const rule = { holdout: 'h.csv', metric: 'auc' as const, minImprovement: 0.01 };

describe('gate', () => {
  it.each([
    ['better by more than the margin', rule, 0.82, 0.8, true],
    ['better by exactly the margin', rule, 0.81, 0.8, true],
    ['better by less than the margin', rule, 0.805, 0.8, false],
    ['worse than the champion', rule, 0.7, 0.8, false],
    ['logloss lower by the margin', { ...rule, metric: 'logloss' as const }, 0.3, 0.32, true],
    ['logloss higher', { ...rule, metric: 'logloss' as const }, 0.35, 0.32, false],
    ['no champion', rule, 0.6, null, true],
    ['no champion but under the absolute floor', { ...rule, minScore: 0.7 }, 0.6, null, false],
    ['better than the champion but under the floor', { ...rule, minScore: 0.9 }, 0.85, 0.8, false],
    [
      'logloss over the absolute ceiling',
      { ...rule, metric: 'logloss' as const, minScore: 0.5 },
      0.6,
      null,
      false,
    ],
    ['a NaN candidate score', rule, Number.NaN, 0.8, false],
  ])('%s -> promote %s', (_case, policy, candidate, champion, promote) => {
    const result = gate(policy, candidate, champion);
    expect(result.promote).toBe(promote);
    expect(result.reasons.length).toBeGreaterThan(0);
  });

  it('explains the comparison with both scores and the margin', () => {
    expect(gate(rule, 0.805, 0.8).reasons).toEqual([
      'candidate auc 0.8050 vs champion 0.8000: better by 0.0050, below the required margin 0.0100',
    ]);
  });
});
