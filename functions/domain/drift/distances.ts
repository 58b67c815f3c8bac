import { EmptySampleError } from '#contracts/errors.ts';

/** Added to every bin proportion before PSI's logarithm, then renormalised (see {@link psi}). */
export const DEFAULT_PSI_EPSILON = 1e-4;

function total(counts: ArrayLike<number>, sample: string): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i] as number;
  if (!(sum > 0)) throw new EmptySampleError(sample);
  return sum;
}

function assertSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`histograms differ in length: ${a.length} and ${b.length}`);
}

/**
 * Population Stability Index between two histograms over the same bins:
 * sum over bins of (c - r) ln(c / r), with r, c the reference and current proportions.
 *
 * Empty-bin rule: every proportion gets `epsilon` (default 1e-4) added and is divided by
 * 1 + bins * epsilon, so both histograms still sum to 1 and a bin empty on both sides contributes 0.
 * Symmetric in its two arguments.
 * @throws EmptySampleError when either histogram has no count.
 */
export function psi(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
  epsilon = DEFAULT_PSI_EPSILON,
): number {
  assertSameLength(referenceCounts, currentCounts);
  const refTotal = total(referenceCounts, 'reference');
  const curTotal = total(currentCounts, 'current');
  const norm = 1 + referenceCounts.length * epsilon;
  let sum = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const r = ((referenceCounts[i] as number) / refTotal + epsilon) / norm;
    const c = ((currentCounts[i] as number) / curTotal + epsilon) / norm;
    sum += (c - r) * Math.log(c / r);
  }
  return Math.max(0, sum);
}

/**
 * Jensen-Shannon distance (base 2, so in [0, 1]) between two histograms over the same bins:
 * sqrt(JS divergence), as scipy.spatial.distance.jensenshannon(p, q, base=2). Empty bins need no rule
 * (0 log 0 = 0). Tiny negative divergences from rounding are clamped to 0 (scipy would return NaN).
 * @throws EmptySampleError when either histogram has no count.
 */
export function jensenShannon(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): number {
  assertSameLength(referenceCounts, currentCounts);
  const refTotal = total(referenceCounts, 'reference');
  const curTotal = total(currentCounts, 'current');
  let left = 0;
  let right = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const p = (referenceCounts[i] as number) / refTotal;
    const q = (currentCounts[i] as number) / curTotal;
    const m = (p + q) / 2;
    if (p > 0) left += p * Math.log(p / m);
    if (q > 0) right += q * Math.log(q / m);
  }
  const js = (left + right) / Math.LN2;
  return Math.sqrt(Math.max(0, js / 2));
}

/**
 * Hellinger distance (in [0, 1]) between two histograms over the same bins:
 * sqrt(1/2 * sum (sqrt p - sqrt q)^2), the form without the cancellation of sqrt(1 - sum sqrt(p q)).
 * @throws EmptySampleError when either histogram has no count.
 */
export function hellinger(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): number {
  assertSameLength(referenceCounts, currentCounts);
  const refTotal = total(referenceCounts, 'reference');
  const curTotal = total(currentCounts, 'current');
  let sum = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const d =
      Math.sqrt((referenceCounts[i] as number) / refTotal) -
      Math.sqrt((currentCounts[i] as number) / curTotal);
    sum += d * d;
  }
  return Math.sqrt(sum / 2);
}

/**
 * Wasserstein-1 (earth mover's) distance between two ascending samples: the integral of
 * |F_a(x) - F_b(x)| over x, in one merge pass (scipy.stats.wasserstein_distance without weights).
 * @throws EmptySampleError when either sample is empty.
 */
export function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0) throw new EmptySampleError('reference');
  if (n2 === 0) throw new EmptySampleError('current');
  let i = 0;
  let j = 0;
  let sum = 0;
  let prev = Math.min(a[0] as number, b[0] as number);
  // i, j count the values at or below `prev` whenever the next value is strictly larger (ties add 0).
  while (i < n1 && j < n2) {
    const x = a[i] as number;
    const y = b[j] as number;
    const next = Math.min(x, y);
    sum += Math.abs(i / n1 - j / n2) * (next - prev);
    prev = next;
    if (x <= y) i++;
    else j++;
  }
  while (i < n1) {
    const next = a[i] as number;
    sum += Math.abs(i / n1 - 1) * (next - prev);
    prev = next;
    i++;
  }
  while (j < n2) {
    const next = b[j] as number;
    sum += Math.abs(1 - j / n2) * (next - prev);
    prev = next;
    j++;
  }
  return sum;
}
