/**
 * Always-valid inference for post-deploy verification: the mixture sequential probability ratio test (mSPRT)
 * with a normal mixture, as in Johari, Koomen, Pekelis and Walsh (2017, "Peeking at A/B tests", KDD; 2022,
 * "Always valid inference", Operations Research), after Robbins (1970). For an estimate d̂ of a difference θ
 * with variance V (shrinking as data accrues), the mixture likelihood ratio against θ0 is
 *
 *   Λ = sqrt(V / (V + τ²)) · exp(τ² (d̂ − θ0)² / (2 V (V + τ²)))
 *
 * and by Ville's inequality P(Λ ever reaches 1/α | θ = θ0) ≤ α, however often it is checked. Inverting it gives a
 * confidence sequence: d̂ ± r(V), with r below, which holds at every check at once with probability 1 − α.
 */

/** Half-width of the normal-mixture confidence sequence for an estimate of variance `variance`. */
export function mixtureRadius(variance: number, mixingVariance: number, alpha: number): number {
  if (!(variance > 0)) return 0;
  if (!(mixingVariance > 0)) return Number.POSITIVE_INFINITY;
  const v = variance;
  const t = mixingVariance;
  return Math.sqrt(((2 * v * (v + t)) / t) * Math.log(Math.sqrt((v + t) / v) / alpha));
}

/** The mixture likelihood ratio Λ of `estimate` against `null` (the test rejects at Λ ≥ 1/α). */
export function mixtureRatio(
  estimate: number,
  nullValue: number,
  variance: number,
  mixingVariance: number,
): number {
  const v = variance;
  const t = mixingVariance;
  const d = estimate - nullValue;
  return Math.sqrt(v / (v + t)) * Math.exp((t * d * d) / (2 * v * (v + t)));
}

/** A confidence sequence's bounds at one check. */
export interface SequenceBounds {
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * Bounds of the always-valid confidence sequence of a difference (`estimate` with `variance`) at confidence
 * `1 - alpha`, with the mixture's spread matched to the effect that matters (`effect`, in the estimate's units).
 */
export function confidenceSequence(
  estimate: number,
  variance: number,
  effect: number,
  alpha: number,
): SequenceBounds {
  const radius = mixtureRadius(variance, effect * effect, alpha);
  return { estimate, lower: estimate - radius, upper: estimate + radius };
}
