import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  higherIsBetter,
  logLoss,
  type MetricName,
  mae,
  metricValue,
  rmse,
  rocAuc,
  scoreAll,
} from '#domain/metrics.ts';
import reference from '../../fixtures/metrics/reference.json' with { type: 'json' };

/** AUC as the share of (positive, negative) pairs ranked correctly, ties counting half: O(n^2), obviously right. */
function pairwiseAuc(labels: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((li, i) => {
    if (li !== 1) return;
    labels.forEach((lj, j) => {
      if (lj !== 0) return;
      pairs++;
      const si = scores[i] as number;
      const sj = scores[j] as number;
      wins += si > sj ? 1 : si === sj ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('rocAuc', () => {
  it.each([
    ['perfect ranking', [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 1],
    ['reversed ranking', [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9], 0],
    ['all scores tied', [0, 1, 0, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5], 0.5],
    ['one of four pairs wrong', [0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], 0.75],
    ['a tie across classes counts half', [0, 1], [0.3, 0.3], 0.5],
    ['ties within a class do not matter', [0, 0, 1, 1], [0.2, 0.2, 0.7, 0.7], 1],
    ['scores need not be probabilities', [0, 1, 1], [-100, 3, 1e9], 1],
    ['infinite scores rank at the ends', [0, 1, 0, 1], [-Infinity, Infinity, 0, 0], 0.875],
  ])('%s', (_, labels, scores, expected) => {
    expect(rocAuc(labels, scores)).toBe(expected);
  });

  it.each([
    ['only negatives', [0, 0, 0], /both classes; all 3 labels are 0/],
    ['only positives', [1, 1], /both classes; all 2 labels are 1/],
  ])('throws RangeError with %s', (_, labels, message) => {
    expect(() =>
      rocAuc(
        labels,
        labels.map(() => 0.5),
      ),
    ).toThrow(RangeError);
    expect(() =>
      rocAuc(
        labels,
        labels.map(() => 0.5),
      ),
    ).toThrow(message);
  });

  it('equals the pairwise definition, is unchanged by monotone transforms and flips with the scores', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.tuple(fc.constantFrom(0, 1), fc.integer({ min: -20, max: 20 })), {
            minLength: 2,
            maxLength: 60,
          })
          .filter((rows) => rows.some(([l]) => l === 0) && rows.some(([l]) => l === 1)),
        (rows) => {
          const labels = rows.map(([l]) => l);
          const scores = rows.map(([, s]) => s / 4);
          const auc = rocAuc(labels, scores);
          expect(auc).toBeCloseTo(pairwiseAuc(labels, scores), 12);
          expect(
            rocAuc(
              labels,
              scores.map((s) => Math.exp(s) + 3),
            ),
          ).toBeCloseTo(auc, 12);
          expect(
            rocAuc(
              labels,
              scores.map((s) => -s),
            ),
          ).toBeCloseTo(1 - auc, 12);
        },
      ),
    );
  });
});

describe('logLoss', () => {
  it.each([
    ['confident and right', [1, 0], [1, 0], 1e-15],
    ['p = 0.5 everywhere', [1, 0, 1], [0.5, 0.5, 0.5], Math.LN2],
    ['one row', [1], [0.8], -Math.log(0.8)],
    ['mean over rows', [1, 0], [0.8, 0.4], -(Math.log(0.8) + Math.log(0.6)) / 2],
    ['confident and wrong is clipped, not infinite', [1], [0], -Math.log(1e-15)],
  ])('%s', (_, labels, probs, expected) => {
    expect(logLoss(labels, probs)).toBeCloseTo(expected, 12);
  });
});

describe('accuracy', () => {
  it.each([
    ['all right', [1, 0, 1], [0.9, 0.1, 0.6], 0.5, 1],
    ['half right', [1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1], 0.5, 0.5],
    ['exactly at the threshold predicts 0', [0, 1], [0.5, 0.5], 0.5, 0.5],
    ['custom threshold', [1, 0, 1], [0.35, 0.2, 0.31], 0.3, 1],
  ])('%s', (_, labels, probs, threshold, expected) => {
    expect(accuracy(labels, probs, threshold)).toBe(expected);
  });
});

describe('input checks', () => {
  const metrics = { rocAuc, logLoss, accuracy };

  it.each(
    Object.entries(metrics).flatMap(([name, fn]) => [
      [name, 'lengths differ', () => fn([0, 1], [0.5]), /2 labels but 1/],
      [name, 'no samples', () => fn([], []), /no samples/],
      [
        name,
        'a label that is not 0 or 1',
        () => fn([0, 2, 1], [0.1, 0.2, 0.3]),
        /label 1 is 2, expected 0 or 1/,
      ],
      [name, 'a NaN score', () => fn([0, 1], [0.1, Number.NaN]), /1 is NaN/],
    ]),
  )('%s rejects %s with a RangeError', (_, __, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});

describe('against scikit-learn', () => {
  it('the fixture names its generator', () => {
    expect(reference.generator).toMatch(/^scripts\/fixtures\/metrics_reference\.py, scikit-learn /);
  });

  it.each(reference.cases.map((c) => [c.name, c] as const))(
    'matches roc_auc_score, log_loss, accuracy_score: %s',
    (_, c) => {
      const scores = scoreAll(c.labels, c.probs);
      expect(scores.auc).toBeCloseTo(c.auc, 12);
      expect(scores.logloss).toBeCloseTo(c.logloss, 12);
      expect(scores.accuracy).toBeCloseTo(c.accuracy, 12);
    },
  );
});

describe('higherIsBetter', () => {
  it.each<[MetricName, boolean]>([
    ['auc', true],
    ['accuracy', true],
    ['logloss', false],
    ['rmse', false],
    ['mae', false],
  ])('%s -> %s', (metric, expected) => {
    expect(higherIsBetter(metric)).toBe(expected);
  });
});

describe('regression metrics', () => {
  it.each([
    { labels: [1, 2, 3], predictions: [1, 2, 3], rmse: 0, mae: 0 },
    { labels: [0, 0], predictions: [3, -4], rmse: Math.sqrt(12.5), mae: 3.5 },
    { labels: [10, 20, 30, 40], predictions: [12, 18, 33, 40], rmse: Math.sqrt(17 / 4), mae: 7 / 4 },
    { labels: [-1.5], predictions: [2.5], rmse: 4, mae: 4 },
  ])('rmse and mae of $labels vs $predictions', (row) => {
    expect(rmse(row.labels, row.predictions)).toBeCloseTo(row.rmse, 12);
    expect(mae(row.labels, row.predictions)).toBeCloseTo(row.mae, 12);
  });

  it('rmse is never below mae, and both are 0 only for exact predictions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e6, max: 1e6 })), {
          minLength: 1,
          maxLength: 50,
        }),
        (pairs) => {
          const labels = pairs.map(([y]) => y);
          const predictions = pairs.map(([, p]) => p);
          const r = rmse(labels, predictions);
          const m = mae(labels, predictions);
          expect(r).toBeGreaterThanOrEqual(m * (1 - 1e-12));
          expect(m === 0).toBe(pairs.every(([y, p]) => y === p));
        },
      ),
    );
  });

  it.each([
    [[1, 2], [1], '2 labels but 1 predictions'],
    [[], [], 'no samples'],
    [[1, Number.NaN], [1, 2], 'label 1 is NaN'],
    [[1, 2], [1, Number.POSITIVE_INFINITY], 'prediction 1 is Infinity'],
  ])('refuses %j vs %j', (labels, predictions, message) => {
    expect(() => rmse(labels, predictions)).toThrow(message);
    expect(() => mae(labels, predictions)).toThrow(message);
  });

  it('metricValue computes each metric as its own function does', () => {
    const labels = [0, 1, 1, 0, 1];
    const scores = [0.1, 0.8, 0.4, 0.3, 0.9];
    expect(metricValue('auc', labels, scores)).toBe(rocAuc(labels, scores));
    expect(metricValue('logloss', labels, scores)).toBe(logLoss(labels, scores));
    expect(metricValue('accuracy', labels, scores)).toBe(accuracy(labels, scores));
    expect(metricValue('rmse', labels, scores)).toBe(rmse(labels, scores));
    expect(metricValue('mae', labels, scores)).toBe(mae(labels, scores));
  });
});
