/**
 * Sampling statistics for KPI decisions, written out by hand so that every number in a decision can be traced:
 * the normal and Student t distributions, the regularized incomplete beta (F tests), Wilson intervals for
 * rates, Welch's degrees of freedom for means, and the interval of a relative change against a baseline.
 * Reference values (scipy 1.10) are in `test/functions/domain/fixtures/kpi-stats.json`.
 */

/**
 * Standard normal CDF, Hart's double-precision rational approximation as given by West (2004), "Better
 * approximations to cumulative normal functions", Wilmott; absolute error below 1e-14.
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x);
  let tail: number;
  if (z > 37) tail = 0;
  else {
    const e = Math.exp((-z * z) / 2);
    if (z < 7.07106781186547) {
      let n = 3.52624965998911e-2 * z + 0.700383064443688;
      n = n * z + 6.37396220353165;
      n = n * z + 33.912866078383;
      n = n * z + 112.079291497871;
      n = n * z + 221.213596169931;
      n = n * z + 220.206867912376;
      let d = 8.83883476483184e-2 * z + 1.75566716318264;
      d = d * z + 16.064177579207;
      d = d * z + 86.7807322029461;
      d = d * z + 296.564248779674;
      d = d * z + 637.333633378831;
      d = d * z + 793.826512519948;
      d = d * z + 440.413735824752;
      tail = (e * n) / d;
    } else {
      let d = z + 0.65;
      d = z + 4 / d;
      d = z + 3 / d;
      d = z + 2 / d;
      d = z + 1 / d;
      tail = e / d / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

const ACKLAM_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const ACKLAM_B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
];
const ACKLAM_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

const poly = (coefficients: readonly number[], x: number) =>
  coefficients.reduce((sum, coefficient) => sum * x + coefficient, 0);

/**
 * Standard normal quantile: Acklam's rational approximation (relative error 1.15e-9) refined by one Halley
 * step on {@link normalCdf}, which brings it to about 1e-15.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = poly(ACKLAM_C, q) / (poly(ACKLAM_D, q) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(ACKLAM_A, r) * q) / (poly(ACKLAM_B, r) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -poly(ACKLAM_C, q) / (poly(ACKLAM_D, q) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0: Lanczos approximation (g = 7, n = 9), relative error about 1e-15. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i += 1) sum += (LANCZOS[i] as number) / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes, `betacf`). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m += 1) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function betaIncomplete(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaFraction(a, b, x)) / a
    : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** Student t CDF with `df` degrees of freedom (infinite df: the normal). */
export function studentCdf(t: number, df: number): number {
  if (!Number.isFinite(df) || df > 1e7) return normalCdf(t);
  const tail = 0.5 * betaIncomplete(df / 2, 0.5, df / (df + t * t));
  return t > 0 ? 1 - tail : tail;
}

/** Student t quantile, by bisection on {@link studentCdf} started from the normal quantile. */
export function studentQuantile(p: number, df: number): number {
  const z = normalQuantile(p);
  if (!Number.isFinite(df) || df > 1e7 || !Number.isFinite(z)) return z;
  if (z === 0) return 0;
  let lo = z < 0 ? 2 * z : 0;
  let hi = z < 0 ? 0 : 2 * z;
  // Heavy tails (df near 1): widen the bracket until it holds the quantile.
  while (studentCdf(lo, df) > p) lo *= 2;
  while (studentCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, Math.abs(hi)); i += 1) {
    const mid = (lo + hi) / 2;
    if (studentCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Upper tail P(F > f) of the F distribution with (d1, d2) degrees of freedom. */
export function fSurvival(f: number, d1: number, d2: number): number {
  if (f <= 0) return 1;
  return betaIncomplete(d2 / 2, d1 / 2, d2 / (d2 + d1 * f));
}

/** Two-sided normal critical value of a confidence level (0.95 -> 1.96). */
export function zFor(confidence: number): number {
  return normalQuantile(1 - (1 - confidence) / 2);
}

/**
 * Wilson score interval of a proportion (Wilson 1927) with `n` trials at `confidence`; `n` may be an effective
 * (fractional) count. A proportion with no trials is [0, 1].
 */
export function wilsonInterval(p: number, n: number, confidence: number): { lower: number; upper: number } {
  if (!(n > 0)) return { lower: 0, upper: 1 };
  const z = zFor(confidence);
  const q = Math.min(1, Math.max(0, p));
  const z2n = (z * z) / n;
  const centre = (q + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((q * (1 - q)) / n + (z * z) / (4 * n * n))) / (1 + z2n);
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** Welch–Satterthwaite degrees of freedom of the difference of two means (Welch 1947). */
export function welchDf(var1: number, n1: number, var2: number, n2: number): number {
  const a = var1 / n1;
  const b = var2 / n2;
  const denominator = (n1 > 1 ? (a * a) / (n1 - 1) : 0) + (n2 > 1 ? (b * b) / (n2 - 1) : 0);
  if (!(denominator > 0)) return Number.POSITIVE_INFINITY;
  return ((a + b) * (a + b)) / denominator;
}

/** Per-sample variance of a KPI of the `rate` kind at proportion `p` (binomial). */
export function binomialVariance(p: number): number {
  const q = Math.min(1, Math.max(0, p));
  return q * (1 - q);
}

/**
 * Interval of the relative change `value / reference - 1` of a window against a baseline, combining the
 * window's own interval (`lower`, `upper` around `value`: Wilson for rates, t or normal otherwise) with the
 * baseline's standard error by the delta method. Bounds are relative changes (−0.2 = 20% lower).
 */
export function relativeChangeInterval(
  value: number,
  window: { lower: number; upper: number },
  reference: number,
  referenceSe: number,
  z: number,
): { change: number; lower: number; upper: number } {
  const scale = Math.abs(reference);
  if (!(scale > 0)) return { change: 0, lower: Number.NEGATIVE_INFINITY, upper: Number.POSITIVE_INFINITY };
  const change = (value - reference) / scale;
  // d(value/reference)/d(reference) = -value/reference^2: the baseline's error in relative units.
  const baseline = (z * referenceSe * Math.abs(value)) / (scale * scale);
  const below = (value - window.lower) / scale;
  const above = (window.upper - value) / scale;
  return {
    change,
    lower: change - Math.sqrt(below * below + baseline * baseline),
    upper: change + Math.sqrt(above * above + baseline * baseline),
  };
}
