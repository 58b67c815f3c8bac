/**
 * Labelled KPI series for `kaizen simulate` and `npm run bench -- kpi`: one series per model and KPI, a window a
 * day, of seven kinds. Healthy kinds must never retrain; in the degrading kinds the KPI gets worse from a
 * labelled window on and must be caught. Seeded: the same options give the same fleet.
 */
import type { KpiRule } from '#domain/policy.ts';
import { mulberry32 } from '#domain/random.ts';

export const KINDS = [
  'stationary',
  'weekly-seasonal',
  'low-volume',
  'outliers',
  'gaps',
  'abrupt-drop',
  'slow-decline',
] as const;
export type SeriesKind = (typeof KINDS)[number];

/** Kinds whose KPI gets worse at `changeAt`: a retrain from then on is a detection. */
export const DEGRADING: ReadonlySet<SeriesKind> = new Set(['abrupt-drop', 'slow-decline']);

/** One day of one KPI: absent in a gap. */
export interface Day {
  value: number;
  count: number;
  /** Per-sample standard deviation, for `mean` KPIs. */
  sd?: number;
}

export interface Series {
  kind: SeriesKind;
  /** Per KPI metric, one entry per day (index 0 = the first day after the first deploy). */
  days: Record<string, (Day | undefined)[]>;
  /** First window the KPI is worse in (degrading kinds). */
  changeAt?: number;
  /** The model's typical daily volume and level of its first KPI, for the report. */
  volume: number;
  level: number;
}

/** How the simulated fleet looks; every number is documented in the README's "How KPI rules decide". */
export const FLEET = {
  /** Daily samples: log-uniform within these bounds (low-volume models: the second pair). */
  volume: [5_000, 200_000] as const,
  lowVolume: [20, 400] as const,
  /** Day-to-day volume wobble (relative, uniform ±). */
  volumeWobble: 0.2,
  /** Rate KPIs without bounds: log-uniform level. */
  rate: [0.02, 0.3] as const,
  /** Real day-to-day variation beyond sampling: relative sd, uniform in [0, this]. */
  dayNoise: 0.03,
  /** Weekly seasonality: weekend dip of this relative size (uniform), weekdays lifted to keep the mean. */
  weekly: [0.1, 0.25] as const,
  /** One-day outliers: this many per series, each this much worse (relative) for one window. */
  outliers: [1, 3] as const,
  outlierSize: [0.3, 0.7] as const,
  /** Gaps: this share of days missing at random, plus one outage of up to this many days. */
  gapShare: 0.1,
  outage: [3, 7] as const,
  /** Abrupt drops: the level falls by this much (relative) and stays there. */
  drop: [0.25, 0.4] as const,
  /** Slow declines: the level loses this much (relative) per day, compounding the loss linearly. */
  declinePerDay: 0.01,
  /** Degrading kinds change in a window drawn from this range (after the baseline is learned). */
  changeAt: [30, 60] as const,
} as const;

function gaussian(next: () => number): number {
  const u = Math.max(next(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

const uniform = (next: () => number, [lo, hi]: readonly [number, number]) => lo + (hi - lo) * next();
const logUniform = (next: () => number, [lo, hi]: readonly [number, number]) =>
  Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * next());

/** Binomial draw: exact below 200 trials, normal approximation (rounded, clipped) above. */
export function binomial(next: () => number, n: number, p: number): number {
  if (n < 200) {
    let hits = 0;
    for (let i = 0; i < n; i += 1) if (next() < p) hits += 1;
    return hits;
  }
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  return Math.min(n, Math.max(0, Math.round(mean + sd * gaussian(next))));
}

/** The level a KPI's simulated series sits at, as a user with this rule would see it healthy. */
function levelFor(rule: KpiRule, next: () => number): { kind: 'rate' | 'mean' | 'value'; level: number } {
  const kind = rule.kind ?? 'rate';
  if (kind !== 'rate') {
    const level = rule.floor !== undefined ? rule.floor * uniform(next, [1.5, 2]) : uniform(next, [50, 150]);
    return { kind, level };
  }
  if (rule.direction === 'higher' && rule.floor !== undefined && rule.floor > 0)
    return { kind, level: Math.min(0.9, rule.floor * uniform(next, [1.5, 2])) };
  if (rule.direction === 'lower' && rule.ceiling !== undefined && rule.ceiling > 0)
    return { kind, level: Math.min(0.9, rule.ceiling / uniform(next, [1.5, 2])) };
  return { kind, level: logUniform(next, FLEET.rate) };
}

/**
 * One model's series over `days` windows. Days are UTC days from `start`; the model's weekday pattern, volume,
 * extra day-to-day noise, outliers, gaps and change are drawn from the seeded generator.
 */
export function generateSeries(
  kind: SeriesKind,
  rules: readonly KpiRule[],
  days: number,
  start: string,
  seed: number,
): Series {
  const next = mulberry32(seed);
  const volume = Math.round(logUniform(next, kind === 'low-volume' ? FLEET.lowVolume : FLEET.volume));
  const noise = uniform(next, [0, FLEET.dayNoise]);
  const changeAt = DEGRADING.has(kind)
    ? Math.floor(uniform(next, [FLEET.changeAt[0], FLEET.changeAt[1] + 1]))
    : undefined;
  const dip = kind === 'weekly-seasonal' ? uniform(next, FLEET.weekly) : 0;
  const drop = kind === 'abrupt-drop' ? uniform(next, FLEET.drop) : 0;
  const outliers = new Map<number, number>();
  if (kind === 'outliers') {
    const n = Math.floor(uniform(next, [FLEET.outliers[0], FLEET.outliers[1] + 1]));
    // One-day outliers: at least three windows apart, so that each is alone.
    for (let tries = 0; outliers.size < n && tries < 100; tries += 1) {
      const day = Math.floor(uniform(next, [FLEET.changeAt[0] - 20, days]));
      if ([...outliers.keys()].every((other) => Math.abs(other - day) >= 3))
        outliers.set(day, uniform(next, FLEET.outlierSize));
    }
  }
  const missing = new Set<number>();
  if (kind === 'gaps') {
    for (let d = 0; d < days; d += 1) if (next() < FLEET.gapShare) missing.add(d);
    const length = Math.floor(uniform(next, [FLEET.outage[0], FLEET.outage[1] + 1]));
    const from = Math.floor(uniform(next, [5, days - length]));
    for (let d = from; d < from + length; d += 1) missing.add(d);
  }
  const origin = Date.parse(start);
  const series: Series = { kind, days: {}, volume, level: 0 };
  if (changeAt !== undefined) series.changeAt = changeAt;
  rules.forEach((rule, index) => {
    const { kind: valueKind, level } = levelFor(rule, next);
    if (index === 0) series.level = level;
    const worseUp = rule.direction === 'lower';
    const out: (Day | undefined)[] = [];
    for (let d = 0; d < days; d += 1) {
      if (missing.has(d)) {
        out.push(undefined);
        continue;
      }
      // The change applies to the first KPI only; the others stay healthy.
      let factor = 1;
      if (index === 0 && changeAt !== undefined && d >= changeAt) {
        const loss = kind === 'abrupt-drop' ? drop : Math.min(0.9, FLEET.declinePerDay * (d - changeAt + 1));
        factor *= worseUp ? 1 + loss : 1 - loss;
      }
      if (index === 0 && outliers.has(d)) {
        const size = outliers.get(d) as number;
        factor *= worseUp ? 1 + size : 1 - size;
      }
      if (dip > 0) {
        const weekday = new Date(origin + d * 86_400_000).getUTCDay();
        factor *= weekday === 0 || weekday === 6 ? 1 - dip : 1 + (2 * dip) / 5;
      }
      const today = level * factor * Math.exp(noise * gaussian(next));
      const count = Math.max(0, Math.round(volume * (1 + FLEET.volumeWobble * (2 * next() - 1))));
      if (valueKind === 'rate') {
        const p = Math.min(0.999, Math.max(0, today));
        out.push({ value: count > 0 ? binomial(next, count, p) / count : 0, count });
      } else if (valueKind === 'mean') {
        const sd = 0.5 * level;
        out.push({ value: today + (sd / Math.sqrt(Math.max(count, 1))) * gaussian(next), count, sd });
      } else {
        out.push({ value: today * (1 + 0.01 * gaussian(next)), count });
      }
    }
    series.days[rule.metric] = out;
  });
  return series;
}
