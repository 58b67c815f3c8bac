import { binomialVariance, fSurvival } from './kpi-stats.ts';
import type { KpiSummary } from './run.ts';

/** What a KPI's value is: a proportion over `count` trials, a mean over `count` rows, or a plain value. */
export type KpiKind = 'rate' | 'mean' | 'value';

/**
 * A KPI's baseline learned from a reference period: count-weighted, with the variance a window's value has
 * around it (sampling at the window's count plus real between-window variation), optionally per weekday.
 * Compact (a few numbers per KPI), so it travels in the loop's state.
 */
export interface KpiBaseline {
  kind: KpiKind;
  /** Count-weighted mean of the reference windows (with weekly factors: the mean of the weekday means). */
  mean: number;
  /** Per-sample variance: p(1 - p) for rates, the pooled within-window variance for means, 0 for values. */
  unitVariance: number;
  /** Between-window variance beyond sampling (τ², DerSimonian–Laird); all of a `value` KPI's variance. */
  between: number;
  /** Variance of `mean` itself (its standard error squared). */
  meanVariance: number;
  /** Samples and windows in the reference; windows left out as outliers. */
  count: number;
  windows: number;
  excluded: number;
  /** The reference period: first window's start, last window's end. */
  start: string;
  end: string;
  /** With a weekly pattern: each UTC weekday's mean (Sunday first) and its variance. */
  weekly?: { means: number[]; variances: number[] };
}

/** One reference window of one KPI. */
export interface ReferenceWindow {
  start: string;
  end: string;
  kpi: KpiSummary;
}

export interface LearnOptions {
  kind?: KpiKind;
  /** Windows with fewer samples are not part of the reference. */
  minCount: number;
  seasonality: 'auto' | 'none' | 'weekly';
  /** Length of a window in seconds: weekly factors need daily windows. */
  windowSeconds: number;
  /** Leave out outlier windows (default true; a quick fit skips it). */
  outliers?: boolean;
}

/** A window whose standardised distance from the rest's baseline is beyond this is an outlier, not reference. */
export const OUTLIER_Z = 4.5;
/** A weekday effect must be significant at this level (F test) before `auto` seasonality uses it. */
export const SEASONALITY_P = 0.01;
const DAY_SECONDS = 86_400;

/** The kind a rule declares, or the one its values suggest: a rate when every value lies in [0, 1]. */
export function kindOf(declared: KpiKind | undefined, values: readonly number[]): KpiKind {
  if (declared) return declared;
  // Any mean of values in [0, 1] has at most the binomial variance (Bhatia–Davis), so `rate` is safe for them.
  return values.every((value) => value >= 0 && value <= 1) ? 'rate' : 'value';
}

interface Point {
  x: number;
  n: number;
  /** Sampling variance of x (0 for values). */
  v: number;
  day: number;
}

/** Count-weighted mean; windows with count 0 weigh as 1. */
function weightedMean(points: readonly Point[]): number {
  let sum = 0;
  let weight = 0;
  for (const p of points) {
    const w = p.n > 0 ? p.n : 1;
    sum += w * p.x;
    weight += w;
  }
  return weight > 0 ? sum / weight : 0;
}

/** Variance of the count-weighted mean when each x has variance v + tau2. */
function meanVarianceOf(points: readonly Point[], tau2: number): number {
  let weight = 0;
  let sum = 0;
  for (const p of points) {
    const w = p.n > 0 ? p.n : 1;
    weight += w;
    sum += w * w * (p.v + tau2);
  }
  return weight > 0 ? sum / (weight * weight) : 0;
}

/**
 * Between-window variance τ² by DerSimonian–Laird's method of moments (1986), generalised to groups with
 * their own means (weekdays): Q = Σ w (x − x̄_group)², τ² = max(0, (Q − df) / c). Without sampling variances
 * (`value` KPIs) it is the residual sample variance.
 */
function betweenVariance(groups: readonly (readonly Point[])[]): number {
  const k = groups.reduce((sum, g) => sum + g.length, 0);
  const df = k - groups.filter((g) => g.length > 0).length;
  if (df <= 0) return 0;
  if (groups.some((g) => g.some((p) => !(p.v > 0)))) {
    let ss = 0;
    for (const g of groups) {
      if (g.length === 0) continue;
      const m = g.reduce((s, p) => s + p.x, 0) / g.length;
      for (const p of g) ss += (p.x - m) ** 2;
    }
    return ss / df;
  }
  let q = 0;
  let c = 0;
  for (const g of groups) {
    if (g.length === 0) continue;
    let sw = 0;
    let sw2 = 0;
    let swx = 0;
    for (const p of g) {
      const w = 1 / p.v;
      sw += w;
      sw2 += w * w;
      swx += w * p.x;
    }
    const m = swx / sw;
    for (const p of g) q += ((p.x - m) * (p.x - m)) / p.v;
    c += sw - sw2 / sw;
  }
  return c > 0 ? Math.max(0, (q - df) / c) : 0;
}

/** F test of a weekday effect in a weighted one-way ANOVA (weights 1 / (v + τ²) within weekdays). */
function weekdayEffectP(byDay: readonly (readonly Point[])[], tau2: number): number {
  const k = byDay.reduce((sum, g) => sum + g.length, 0);
  const groups = byDay.filter((g) => g.length > 0);
  if (groups.length < 2 || k - groups.length < 1) return 1;
  let sw = 0;
  let swx = 0;
  const means = groups.map((g) => {
    let gw = 0;
    let gwx = 0;
    for (const p of g) {
      const w = 1 / Math.max(p.v + tau2, 1e-300);
      gw += w;
      gwx += w * p.x;
    }
    sw += gw;
    swx += gwx;
    return { weight: gw, mean: gwx / gw };
  });
  const grand = swx / sw;
  let between = 0;
  for (const m of means) between += m.weight * (m.mean - grand) ** 2;
  let within = 0;
  groups.forEach((g, index) => {
    const m = means[index]?.mean ?? 0;
    for (const p of g) within += (p.x - m) ** 2 / Math.max(p.v + tau2, 1e-300);
  });
  const d1 = groups.length - 1;
  const d2 = k - groups.length;
  if (!(within > 0)) return between > 0 ? 0 : 1;
  return fSurvival(between / d1 / (within / d2), d1, d2);
}

function points(windows: readonly ReferenceWindow[], kind: KpiKind, unit: number): Point[] {
  return windows.map(({ start, kpi }) => {
    const n = kpi.count;
    let v = 0;
    if (kind === 'rate') v = n > 0 ? unit / n : 0;
    else if (kind === 'mean') v = n > 0 ? (kpi.variance ?? unit) / n : 0;
    return { x: kpi.value, n, v, day: new Date(start).getUTCDay() };
  });
}

function unitVarianceOf(kind: KpiKind, windows: readonly ReferenceWindow[], mean: number): number {
  if (kind === 'rate') return binomialVariance(mean);
  if (kind === 'value') return 0;
  // Pooled within-window variance of a `mean` KPI, from rows that carried it.
  let sum = 0;
  let df = 0;
  for (const { kpi } of windows) {
    if (kpi.variance === undefined || kpi.count < 2) continue;
    sum += kpi.variance * (kpi.count - 1);
    df += kpi.count - 1;
  }
  return df > 0 ? sum / df : 0;
}

function fitBaseline(
  windows: readonly ReferenceWindow[],
  kind: KpiKind,
  options: LearnOptions,
): Omit<KpiBaseline, 'excluded'> {
  const plain = points(windows, kind, 0);
  const pooled = weightedMean(plain);
  const unit = unitVarianceOf(kind, windows, pooled);
  // A `mean` KPI without any row carrying its spread has no sampling model: it is judged as a value.
  const effective: KpiKind = kind === 'mean' && !(unit > 0) ? 'value' : kind;
  const all = points(windows, effective, unit);
  const tau2 = betweenVariance([all]);
  const first = windows[0] as ReferenceWindow;
  const last = windows[windows.length - 1] as ReferenceWindow;
  const base = {
    kind: effective,
    unitVariance: unit,
    count: windows.reduce((sum, w) => sum + w.kpi.count, 0),
    windows: windows.length,
    start: first.start,
    end: last.end,
  };
  const byDay: Point[][] = Array.from({ length: 7 }, () => []);
  for (const p of all) byDay[p.day]?.push(p);
  const daily = options.windowSeconds === DAY_SECONDS;
  const enough = byDay.every((g) => g.length >= 2);
  if (options.seasonality !== 'none' && daily && enough) {
    const tauWithin = betweenVariance(byDay);
    const seasonal = options.seasonality === 'weekly' || weekdayEffectP(byDay, tauWithin) < SEASONALITY_P;
    if (seasonal) {
      const means = byDay.map((g) => weightedMean(g));
      const variances = byDay.map((g) => meanVarianceOf(g, tauWithin));
      const mean = means.reduce((s, m) => s + m, 0) / 7;
      const meanVariance = variances.reduce((s, v) => s + v, 0) / 49;
      return { ...base, mean, between: tauWithin, meanVariance, weekly: { means, variances } };
    }
  }
  return { ...base, mean: pooled, between: tau2, meanVariance: meanVarianceOf(all, tau2) };
}

/** The value a window is expected to have under the baseline, and that expectation's own variance. */
export function expectedValue(
  baseline: KpiBaseline,
  windowStart: string,
): { mean: number; variance: number } {
  if (baseline.weekly) {
    const day = new Date(windowStart).getUTCDay();
    return {
      mean: baseline.weekly.means[day] ?? baseline.mean,
      variance: baseline.weekly.variances[day] ?? baseline.meanVariance,
    };
  }
  return { mean: baseline.mean, variance: baseline.meanVariance };
}

/**
 * Variance of a window's value around its expectation `mean` under the baseline: sampling at its count (binomial
 * at the expected rate, the window's own or the pooled within-window variance for means) plus τ².
 */
export function windowVariance(
  baseline: Pick<KpiBaseline, 'kind' | 'between' | 'unitVariance'>,
  kpi: KpiSummary,
  mean: number,
): number {
  const n = Math.max(kpi.count, 1);
  if (baseline.kind === 'rate') return binomialVariance(mean) / n + baseline.between;
  if (baseline.kind === 'mean') return (kpi.variance ?? baseline.unitVariance) / n + baseline.between;
  return baseline.between;
}

/**
 * Learns a KPI's baseline from reference windows (oldest first): windows below `minCount` are skipped, then
 * windows more than {@link OUTLIER_Z} standard deviations from the baseline of the others are left out one at
 * a time (a one-day glitch must not become the reference), then weekday means are used when the policy asks
 * for them or, with `auto`, when the reference has at least two windows of every weekday and the weekday
 * effect is significant (F test at 1%). Undefined without a usable window; from one window the between-window
 * variation is unknown (0).
 */
export function learnBaseline(
  windows: readonly ReferenceWindow[],
  options: LearnOptions,
): KpiBaseline | undefined {
  const minCount = Math.max(options.minCount, 1);
  let usable = windows.filter((w) => w.kpi.count >= minCount && Number.isFinite(w.kpi.value));
  if (usable.length === 0) return undefined;
  const kind = kindOf(
    options.kind,
    usable.map((w) => w.kpi.value),
  );
  let excluded = 0;
  const maxExcluded = options.outliers === false ? 0 : Math.floor(usable.length / 5);
  while (excluded < maxExcluded && usable.length > 3) {
    let worst = -1;
    let worstZ = OUTLIER_Z;
    usable.forEach((candidate, index) => {
      const rest = usable.filter((_, i) => i !== index);
      const others = fitBaseline(rest, kind, { ...options, seasonality: 'none' });
      const variance =
        windowVariance(others, candidate.kpi, others.mean) + others.meanVariance + Number.EPSILON;
      const z = Math.abs(candidate.kpi.value - others.mean) / Math.sqrt(variance);
      if (z > worstZ) {
        worstZ = z;
        worst = index;
      }
    });
    if (worst < 0) break;
    usable = usable.filter((_, i) => i !== worst);
    excluded += 1;
  }
  return { ...fitBaseline(usable, kind, options), excluded };
}
