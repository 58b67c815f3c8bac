/**
 * Page's one-sided CUSUM (Page 1954, "Continuous inspection schemes", Biometrika 41) on the log-likelihood
 * ratio of each window: "the KPI is worse than its expectation by `shift` (relative)" against "it is as
 * expected", for a normal window value with the variance it has at its count. Per window:
 *
 *   increment = (Δ / σ²) · (bad-direction deviation) − Δ² / (2σ²),   Δ = shift · |expected|
 *   S = max(0, S + min(increment, cap))
 *
 * and the detector fires when S exceeds the threshold h (in nats: under the baseline, the average run
 * between false alarms is at least about e^h windows). Deviations smaller than shift/2 drive S down, so at high
 * volumes trivial moves never accumulate; low volumes (large σ) accumulate slowly and fairly. The increment
 * is capped at h/2, so one window (a one-day outlier) can never fire the detector on its own, and the deviation is
 * discounted by 1.5 standard errors of the baseline (see {@link CUSUM_SETTINGS}).
 */
export interface CusumStep {
  /** The statistic after this window. */
  statistic: number;
  /** This window's log-likelihood-ratio increment, before the cap. */
  increment: number;
  fired: boolean;
}

/** Internal constants of the detector, chosen by simulation (see the README's "How KPI rules decide"). */
export const CUSUM_SETTINGS = {
  /** Largest increment of one window, as a share of the threshold: one window can never fire it alone. */
  cap: 0.5,
  /**
   * Baseline standard errors a deviation must exceed before it counts: the baseline's own error is shared by
   * every window, so without this margin a baseline learned a little high slowly fires the detector.
   */
  margin: 1.5,
} as const;

/**
 * One CUSUM step; `deviation` is observed minus expected, `worseIsLower` for higher-is-better KPIs, and
 * `baselineSe` the standard error of the expectation: a shortfall within `margin` of them is not evidence.
 */
export function cusumStep(
  previous: number,
  input: {
    deviation: number;
    expected: number;
    variance: number;
    shift: number;
    threshold: number;
    worseIsLower: boolean;
    baselineSe?: number;
  },
): CusumStep {
  const delta = input.shift * Math.abs(input.expected);
  const variance = Math.max(input.variance, Number.MIN_VALUE);
  const raw = input.worseIsLower ? -input.deviation : input.deviation;
  const bad = raw - CUSUM_SETTINGS.margin * (input.baselineSe ?? 0);
  const increment = (delta / variance) * bad - (delta * delta) / (2 * variance);
  const statistic = Math.max(0, previous + Math.min(increment, input.threshold * CUSUM_SETTINGS.cap));
  return { statistic, increment, fired: statistic > input.threshold };
}
