/**
 * Runs KPI policies over simulated fleets window by window, through the real decision code: for every window
 * the evidence is assembled exactly as Monitor assembles it (`lookbackWindowCount`, `referencePeriod`,
 * `policyEvidence`), `analyze` decides, and a retrain deploys a new champion whose baseline is learned again
 * from its own first windows. Post-deploy verification runs `verifyRollout` check by check as the Verify step
 * does, with data arriving as time passes. Anchors (the old rules, a NannyML-style 3σ rule, a naive 90% rule)
 * run over the same series.
 */
import { analyze } from '#domain/analyze.ts';
import { durationSeconds } from '#domain/duration.ts';
import { lookbackWindowCount, policyEvidence, referencePeriod } from '#domain/kpi-evidence.ts';
import type { KpiRule, ModelPolicy } from '#domain/policy.ts';
import { mulberry32 } from '#domain/random.ts';
import type { Champion, KpiSummary, Observed } from '#domain/run.ts';
import { recentWindowCount } from '#domain/state-size.ts';
import { verifyRollout } from '#domain/verify.ts';
import {
  binomial,
  type Day,
  DEGRADING,
  generateSeries,
  KINDS,
  type Series,
  type SeriesKind,
} from './series.ts';

const DAY_MS = 86_400_000;
/** Day 0 of every simulated series (a Monday): the first champion starts serving then. */
export const SIM_START = '2026-01-05T00:00:00.000Z';
/** Windows a healthy series is watched for (a quarter); degrading ones until 40 windows after their change. */
export const HEALTHY_WINDOWS = 90;
export const AFTER_CHANGE_WINDOWS = 40;

/** Decides, for window `t` of a series, whether the model is retrained now; `since` is the champion's first day. */
export type Detector = (series: Series, t: number, since: number, retrains: readonly number[]) => boolean;

/** What happened to one simulated model. */
export interface ModelOutcome {
  kind: SeriesKind;
  falseRetrains: number;
  /** Windows from the change to the retrain (1 = the first worse window's run); undefined: not caught. */
  delay?: number;
}

/** The result of a detector on one kind. */
export interface KindResult {
  kind: SeriesKind;
  models: number;
  /** Share of models with at least one retrain while healthy (before the change, for degrading kinds). */
  falseRetrainRate: number;
  /** Degrading kinds: share caught within {@link AFTER_CHANGE_WINDOWS}, and the median delay in windows. */
  detectionRate?: number;
  medianDelay?: number;
}

const dayStart = (d: number) => new Date(Date.parse(SIM_START) + d * DAY_MS).toISOString();

/** Windows of a series as Monitor summarises them (one row per day), memoised per series. */
export class SeriesWindows {
  private readonly cache = new Map<number, Observed>();
  constructor(
    readonly series: Series,
    private readonly seconds = 86_400,
  ) {}

  at(d: number): Observed {
    let observed = this.cache.get(d);
    if (!observed) {
      const kpis: KpiSummary[] = [];
      for (const [metric, days] of Object.entries(this.series.days)) {
        const day = d >= 0 ? days[d] : undefined;
        if (!day) continue;
        const summary: KpiSummary = { metric, value: day.value, count: day.count, observations: 1 };
        if (day.sd !== undefined) summary.variance = day.sd * day.sd;
        kpis.push(summary);
      }
      const start = Date.parse(SIM_START) + d * this.seconds * 1000;
      observed = {
        window: {
          start: new Date(start).toISOString(),
          end: new Date(start + this.seconds * 1000).toISOString(),
        },
        kpis,
        drift: [],
      };
      this.cache.set(d, observed);
    }
    return observed;
  }

  range(from: number, count: number): Observed[] {
    return Array.from({ length: count }, (_, i) => this.at(from + i));
  }
}

/**
 * The real policy as the loop applies it: Monitor's evidence for the window ending with day `t`, then
 * `analyze` with the retrains inside the budget period.
 */
export function policyDetector(
  policy: ModelPolicy,
  onDecision?: (decision: ReturnType<typeof analyze>, t: number) => void,
): Detector {
  const seconds = durationSeconds(policy.window);
  if (seconds !== 86_400) throw new Error('the simulation uses daily windows (window P1D)');
  const recent = recentWindowCount(policy);
  const lookback = lookbackWindowCount(policy, recent);
  const budget = durationSeconds(policy.budget.period) / 86_400;
  const windowsOf = new WeakMap<Series, SeriesWindows>();
  return (series, t, since, retrains) => {
    let windows = windowsOf.get(series);
    if (!windows) {
      windows = new SeriesWindows(series);
      windowsOf.set(series, windows);
    }
    const w = windows;
    const read = w.range(t - lookback + 1, lookback);
    const champion: Champion = { version: retrains.length + 1, artifactKey: 'sim', since: dayStart(since) };
    const current = read[read.length - 1] as Observed;
    const evidence = policyEvidence(policy, seconds, champion, read, recent - 1, (rule) => {
      const period = referencePeriod(rule, seconds, champion, current.window.start);
      if (!period) return [];
      const first = Math.round((Date.parse(period.start) - Date.parse(SIM_START)) / DAY_MS);
      return w.range(first, period.count);
    });
    const observed: Observed = { ...current, evidence };
    const decision = analyze({
      policy,
      asOf: current.window.end,
      observed,
      history: read.slice(-recent, -1),
      champion,
      retrains: retrains.filter((r) => r > t - budget).map((r) => dayStart(r + 1)),
      force: false,
    });
    onDecision?.(decision, t);
    return decision.action === 'retrain';
  };
}

/** Runs a detector over one series: retrains deploy a new champion; a retrain after the change is a detection. */
export function runSeries(detector: Detector, series: Series): ModelOutcome {
  const end = series.changeAt === undefined ? HEALTHY_WINDOWS : series.changeAt + AFTER_CHANGE_WINDOWS;
  let since = 0;
  const retrains: number[] = [];
  let falseRetrains = 0;
  for (let t = 0; t < end; t += 1) {
    if (!detector(series, t, since, retrains)) continue;
    if (series.changeAt !== undefined && t >= series.changeAt)
      return { kind: series.kind, falseRetrains, delay: t - series.changeAt + 1 };
    falseRetrains += 1;
    retrains.push(t);
    since = t + 1;
  }
  return { kind: series.kind, falseRetrains };
}

/** Median of numbers (undefined for none). */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Summarises outcomes per kind. */
export function summarise(kind: SeriesKind, outcomes: readonly ModelOutcome[]): KindResult {
  const result: KindResult = {
    kind,
    models: outcomes.length,
    falseRetrainRate: outcomes.filter((o) => o.falseRetrains > 0).length / Math.max(outcomes.length, 1),
  };
  if (DEGRADING.has(kind)) {
    const delays = outcomes.flatMap((o) => (o.delay === undefined ? [] : [o.delay]));
    result.detectionRate = delays.length / Math.max(outcomes.length, 1);
    const m = median(delays);
    if (m !== undefined) result.medianDelay = m;
  }
  return result;
}

/** The fleet: `models` series of every kind for the policy's KPIs, the same for every detector. */
export function fleet(
  rules: readonly KpiRule[],
  models: number,
  seed: number,
  kinds: readonly SeriesKind[] = KINDS,
): Series[] {
  const days = Math.max(HEALTHY_WINDOWS, 60 + AFTER_CHANGE_WINDOWS + 1);
  return kinds.flatMap((kind) => {
    const k = KINDS.indexOf(kind);
    return Array.from({ length: models }, (_, i) =>
      generateSeries(kind, rules, days, SIM_START, seed * 1_000_003 + k * 10_007 + i),
    );
  });
}

/** Runs detectors over the same fleet and summarises each per kind. */
export function simulateFleet(
  detectors: Record<string, Detector>,
  series: readonly Series[],
  kinds: readonly SeriesKind[] = KINDS,
): Record<string, KindResult[]> {
  const out: Record<string, KindResult[]> = {};
  for (const [name, detector] of Object.entries(detectors)) {
    const outcomes = series.map((s) => runSeries(detector, s));
    out[name] = kinds.map((kind) =>
      summarise(
        kind,
        outcomes.filter((o) => o.kind === kind),
      ),
    );
  }
  return out;
}

// ---- anchors -----------------------------------------------------------------------------------------------

const valueAt = (series: Series, metric: string, d: number): Day | undefined => series.days[metric]?.[d];

/**
 * The rules as they were before count-aware statistics: floor and ceiling on the window's value, the relative
 * drop against the champion's baseline = its first post-deploy window (what Record stored), one window decides.
 */
export function oldRulesDetector(policy: ModelPolicy): Detector {
  return (series, t, since) => {
    for (const rule of policy.kpis) {
      const minCount = Math.max(rule.minCount, 1);
      const day = valueAt(series, rule.metric, t);
      if (!day || day.count < minCount) continue;
      if (rule.floor !== undefined && day.value < rule.floor) return true;
      if (rule.ceiling !== undefined && day.value > rule.ceiling) return true;
      if (rule.maxRelativeDrop !== undefined && t > since) {
        const first = valueAt(series, rule.metric, since);
        if (!first || first.count < minCount) continue;
        const change =
          first.value === 0
            ? day.value === 0
              ? 0
              : Number.POSITIVE_INFINITY
            : (day.value - first.value) / Math.abs(first.value);
        const worse = rule.direction === 'higher' ? -change : change;
        if (first.value === 0 && day.value !== 0) return true;
        if (worse > rule.maxRelativeDrop) return true;
      }
    }
    return false;
  };
}

/** Reference-period anchors: the champion's first `windows` windows with data, then one window decides. */
function referenceDetector(
  rules: readonly KpiRule[],
  decide: (value: number, mean: number, sd: number, rule: KpiRule) => boolean,
  windows = 14,
): Detector {
  return (series, t, since) => {
    for (const rule of rules) {
      const values: number[] = [];
      for (let d = since; d < t && values.length < windows; d += 1) {
        const day = valueAt(series, rule.metric, d);
        if (day && day.count >= Math.max(rule.minCount, 1)) values.push(day.value);
      }
      if (values.length < windows) continue;
      const day = valueAt(series, rule.metric, t);
      if (!day || day.count < Math.max(rule.minCount, 1)) continue;
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
      if (decide(day.value, mean, sd, rule)) return true;
    }
    return false;
  };
}

/** NannyML-style: thresholds at the reference chunks' mean ± 3σ, a single window beyond them alerts. */
export function threeSigmaDetector(rules: readonly KpiRule[]): Detector {
  return referenceDetector(rules, (value, mean, sd, rule) =>
    rule.direction === 'higher' ? value < mean - 3 * sd : value > mean + 3 * sd,
  );
}

/** Naive: a window below 90% of the reference mean (above 110% for lower-is-better KPIs) alerts. */
export function naiveDetector(rules: readonly KpiRule[]): Detector {
  return referenceDetector(rules, (value, mean, _sd, rule) =>
    rule.direction === 'higher' ? value < 0.9 * mean : value > 1.1 * mean,
  );
}

// ---- post-deploy verification ------------------------------------------------------------------------------

export interface VerificationScenario {
  /** Daily volume and level of the KPI (log-uniform volume, uniform level). */
  volume: readonly [number, number];
  level: readonly [number, number];
  /** The deploy's relative effect on the KPI in its good direction (−0.1: 10% worse). */
  effect: number;
}

export interface VerificationResult {
  models: number;
  rollbackRate: number;
  /** Median check at which the verdict came, and the median days of post-deploy data it took. */
  medianChecks: number;
  medianDays: number;
}

/**
 * Post-deploy verification of `models` deploys: the previous champion served 60 healthy days; Monitor's
 * evidence at the deploy gives the level to compare with; then Verify runs every bake period on the data that
 * has arrived by then (traffic arrives evenly over the day), until it passes, fails, or runs out of checks.
 */
export function simulateVerification(
  policy: ModelPolicy,
  scenario: VerificationScenario,
  models: number,
  seed: number,
): VerificationResult {
  const seconds = durationSeconds(policy.window);
  const bake = durationSeconds(policy.rollout.bakePeriod);
  const recent = recentWindowCount(policy);
  const lookback = lookbackWindowCount(policy, recent);
  const served = 60;
  let rollbacks = 0;
  const checks: number[] = [];
  const days: number[] = [];
  for (let m = 0; m < models; m += 1) {
    const next = mulberry32(seed * 7_919 + m);
    const volume = Math.exp(
      Math.log(scenario.volume[0]) + (Math.log(scenario.volume[1]) - Math.log(scenario.volume[0])) * next(),
    );
    const level = scenario.level[0] + (scenario.level[1] - scenario.level[0]) * next();
    const noise = 0.03 * next();
    const noisy = (p: number) => Math.min(0.999, Math.max(0, p * Math.exp(noise * gaussianOf(next))));
    const series: Series = { kind: 'stationary', days: {}, volume, level };
    for (const rule of policy.kpis) {
      const out: Day[] = [];
      for (let d = 0; d < served; d += 1) {
        const count = Math.round(volume * (0.8 + 0.4 * next()));
        out.push({ value: binomial(next, count, noisy(level)) / count, count });
      }
      series.days[rule.metric] = out;
    }
    const windows = new SeriesWindows(series, seconds);
    const read = windows.range(served - lookback, lookback);
    const champion: Champion = { version: 1, artifactKey: 'sim', since: dayStart(0) };
    const current = read[read.length - 1] as Observed;
    const evidence = policyEvidence(policy, seconds, champion, read, recent - 1, (rule) => {
      const period = referencePeriod(rule, seconds, champion, current.window.start);
      return period ? windows.range(0, period.count) : [];
    });
    // Post-deploy traffic: hour by hour, each hour's successes drawn at that day's (noisy) level.
    const after = policy.kpis.map((rule) => {
      const worseUp = rule.direction === 'lower';
      const p = level * (worseUp ? 1 - scenario.effect : 1 + scenario.effect);
      return { rule, p, hits: 0, count: 0 };
    });
    let hour = 0;
    let dayLevel = after.map((a) => noisy(a.p));
    for (let check = 1; check <= policy.rollout.maxChecks; check += 1) {
      const until = Math.floor((check * bake) / 3600);
      for (; hour < until; hour += 1) {
        if (hour % 24 === 0) dayLevel = after.map((a) => noisy(a.p));
        after.forEach((a, i) => {
          const count = Math.round((volume * (0.8 + 0.4 * next())) / 24);
          a.hits += binomial(next, count, dayLevel[i] as number);
          a.count += count;
        });
      }
      const afterWindows = Math.max(1, Math.floor(Math.max(seconds, check * bake) / seconds));
      const kpis: KpiSummary[] = after
        .filter((a) => a.count > 0)
        .map((a) => ({ metric: a.rule.metric, value: a.hits / a.count, count: a.count, observations: 1 }));
      const { verdict } = verifyRollout({
        policy,
        before: current.kpis,
        evidence,
        after: kpis,
        afterWindows,
        check,
      });
      if (verdict === 'pending') continue;
      if (verdict === 'fail') rollbacks += 1;
      checks.push(check);
      days.push((check * bake) / 86_400);
      break;
    }
  }
  return {
    models,
    rollbackRate: rollbacks / Math.max(models, 1),
    medianChecks: median(checks) ?? 0,
    medianDays: median(days) ?? 0,
  };
}

function gaussianOf(next: () => number): number {
  const u = Math.max(next(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}
