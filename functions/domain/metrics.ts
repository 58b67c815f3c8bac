/** Metrics a champion/challenger gate can compare on: three for 0/1 labels, two for regression. */
export type MetricName = 'auc' | 'accuracy' | 'logloss' | 'rmse' | 'mae';

/** Metrics of classifiers (0/1 labels, scores are probabilities of 1). */
export type ClassificationMetric = 'auc' | 'accuracy' | 'logloss';

/** Every metric of one model on one labelled data set. */
export interface Scores {
  auc: number;
  logloss: number;
  accuracy: number;
}

/** Probabilities are clipped to `[EPSILON, 1 - EPSILON]` so one confident mistake costs ~34.5, not Infinity. */
export const LOGLOSS_EPSILON = 1e-15;

/** Whether a larger value of the metric means a better model (`logloss`, `rmse` and `mae` are losses). */
export function higherIsBetter(metric: MetricName): boolean {
  return metric === 'auc' || metric === 'accuracy';
}

function checkInputs(labels: ArrayLike<number>, values: ArrayLike<number>, what: string): void {
  if (labels.length !== values.length) {
    throw new RangeError(`${labels.length} labels but ${values.length} ${what}`);
  }
  if (labels.length === 0) throw new RangeError('no samples');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label !== 0 && label !== 1) throw new RangeError(`label ${i} is ${label}, expected 0 or 1`);
    if (Number.isNaN(values[i])) throw new RangeError(`${what} ${i} is NaN`);
  }
}

/**
 * Area under the ROC curve via the rank-sum (Mann-Whitney U) statistic; tied scores share their average
 * rank, so ties count half. Throws RangeError when only one class is present (AUC is undefined).
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkInputs(labels, scores, 'scores');
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i] as number;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new RangeError(`AUC needs both classes; all ${n} labels are ${positives === 0 ? 0 : 1}`);
  }
  const sorted = Float64Array.from(scores);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (sorted[a] as number) - (sorted[b] as number));

  // Sum of the (1-based, tie-averaged) ranks of the positives.
  let rankSum = 0;
  let start = 0;
  while (start < n) {
    const value = sorted[order[start] as number] as number;
    let end = start + 1;
    let groupPositives = labels[order[start] as number] as number;
    while (end < n && sorted[order[end] as number] === value) {
      groupPositives += labels[order[end] as number] as number;
      end++;
    }
    rankSum += groupPositives * ((start + 1 + end) / 2);
    start = end;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean binary cross-entropy (natural log), with probabilities clipped to `[1e-15, 1 - 1e-15]`. */
export function logLoss(labels: ArrayLike<number>, probs: ArrayLike<number>): number {
  checkInputs(labels, probs, 'probabilities');
  const n = labels.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(Math.max(probs[i] as number, LOGLOSS_EPSILON), 1 - LOGLOSS_EPSILON);
    total -= labels[i] === 1 ? Math.log(p) : Math.log1p(-p);
  }
  return total / n;
}

/** Share of samples whose predicted class (`prob > threshold`, as sklearn's `predict`) equals the label. */
export function accuracy(labels: ArrayLike<number>, probs: ArrayLike<number>, threshold = 0.5): number {
  checkInputs(labels, probs, 'probabilities');
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const predicted = (probs[i] as number) > threshold ? 1 : 0;
    if (predicted === labels[i]) correct++;
  }
  return correct / n;
}

/** AUC, log loss and accuracy of probabilities against 0/1 labels. */
export function scoreAll(labels: ArrayLike<number>, probs: ArrayLike<number>): Scores {
  return { auc: rocAuc(labels, probs), logloss: logLoss(labels, probs), accuracy: accuracy(labels, probs) };
}

function checkRegressionInputs(labels: ArrayLike<number>, predictions: ArrayLike<number>): void {
  if (labels.length !== predictions.length) {
    throw new RangeError(`${labels.length} labels but ${predictions.length} predictions`);
  }
  if (labels.length === 0) throw new RangeError('no samples');
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isFinite(labels[i]))
      throw new RangeError(`label ${i} is ${labels[i]}, expected a finite number`);
    if (!Number.isFinite(predictions[i])) {
      throw new RangeError(`prediction ${i} is ${predictions[i]}, expected a finite number`);
    }
  }
}

/** Root mean squared error of predictions against numeric labels. */
export function rmse(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  checkRegressionInputs(labels, predictions);
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const error = (predictions[i] as number) - (labels[i] as number);
    total += error * error;
  }
  return Math.sqrt(total / labels.length);
}

/** Mean absolute error of predictions against numeric labels. */
export function mae(labels: ArrayLike<number>, predictions: ArrayLike<number>): number {
  checkRegressionInputs(labels, predictions);
  let total = 0;
  for (let i = 0; i < labels.length; i++)
    total += Math.abs((predictions[i] as number) - (labels[i] as number));
  return total / labels.length;
}

/** One metric of scores (probabilities of 1, or predicted values) against labels; RangeError names bad input. */
export function metricValue(
  metric: MetricName,
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
): number {
  switch (metric) {
    case 'auc':
      return rocAuc(labels, scores);
    case 'logloss':
      return logLoss(labels, scores);
    case 'accuracy':
      return accuracy(labels, scores);
    case 'rmse':
      return rmse(labels, scores);
    case 'mae':
      return mae(labels, scores);
  }
}
