import { EmptySampleError } from '#contracts/errors.ts';
import { kolmogorovSf } from './special.ts';

/** Largest sample size for which the two-sample KS p-value is exact (scipy's `MAX_AUTO_N`). */
export const KS_EXACT_MAX_N = 10_000;

/** Result of a two-sided two-sample Kolmogorov-Smirnov test. */
export interface KsResult {
  /** sup |F_ref - F_cur| (for the exact method: rounded to the lattice h / lcm(n1, n2), as scipy). */
  statistic: number;
  pValue: number;
  /** `exact` when both samples have at most {@link KS_EXACT_MAX_N} values, else `asymptotic`. */
  method: 'exact' | 'asymptotic';
}

/**
 * The two-sample KS statistic sup_x |F_a(x) - F_b(x)| of two ascending samples, evaluated after every
 * distinct value (ties in both samples are consumed together), in one merge pass.
 */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0) throw new EmptySampleError('reference');
  if (n2 === 0) throw new EmptySampleError('current');
  let i = 0;
  let j = 0;
  let max = 0;
  let min = 0;
  while (i < n1 && j < n2) {
    const x = a[i] as number;
    const y = b[j] as number;
    const v = Math.min(x, y);
    while (i < n1 && (a[i] as number) <= v) i++;
    while (j < n2 && (b[j] as number) <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > max) max = diff;
    else if (diff < min) min = diff;
  }
  // Past the end of one sample the other's CDF only rises toward 1: the gap only shrinks.
  return Math.max(max, Math.min(1, -min));
}

/**
 * Two-sided two-sample KS test matching scipy.stats.ks_2samp(a, b) with its default `method='auto'`:
 *
 * - exact when max(n1, n2) <= 10,000: the statistic is rounded to h / lcm(n1, n2) and the p-value is
 *   the proportion of lattice paths leaving the band |x/n1 - y/n2| < h / lcm (Hodges 1958), computed
 *   with Viehmann's (2021) recursion for 1 - p (or the closed form for n1 = n2);
 * - asymptotic otherwise: the one-sample two-sided distribution kstwo.sf(D, round(n1 n2 / (n1 + n2)))
 *   (see {@link kolmogorovSf}).
 *
 * @throws EmptySampleError when either sample is empty.
 */
export function ksTestSorted(a: Float64Array, b: Float64Array): KsResult {
  return ksPValue(ksStatisticSorted(a, b), a.length, b.length);
}

/** The p-value of a two-sample KS statistic `d` for sample sizes n1, n2 (see {@link ksTestSorted}). */
export function ksPValue(d: number, n1: number, n2: number): KsResult {
  if (n1 === 0) throw new EmptySampleError('reference');
  if (n2 === 0) throw new EmptySampleError('current');
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    const statistic = h / lcm;
    if (h === 0) return { statistic, pValue: 1, method: 'exact' };
    const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
    if (p >= 0 && p <= 1) return { statistic, pValue: p, method: 'exact' };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  const p = kolmogorovSf(roundHalfEven(en), d);
  return { statistic: d, pValue: Math.min(1, Math.max(0, p)), method: 'asymptotic' };
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** numpy.round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * P(D_{n,n} >= h/n): 2 (A0 - A0 A1 + A0 A1 A2 - ...) with each binomial ratio built term by term and
 * the alternating sum nested Horner-style to avoid cancellation.
 */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/**
 * Proportion of monotone lattice paths from (0,0) to (m,n) that leave |x/m - y/n| < h / lcm(m, n),
 * computed column by column over a sliding window, directly as the complement (values stay in [0, 1]).
 */
function probOutsideBand(n1: number, n2: number, g: number, h: number): number {
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(Math.max(lenA, n + 2)).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((A[jj + minj - lastminj] as number) * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1] as number;
}
