import {
  expectedValue,
  type KpiBaseline,
  type KpiKind,
  learnBaseline,
  type ReferenceWindow,
  windowVariance,
} from './baseline.ts';
import { cusumStep } from './cusum.ts';
import { fmt } from './format.ts';
import {
  binomialVariance,
  relativeChangeInterval,
  studentQuantile,
  welchDf,
  wilsonInterval,
  zFor,
} from './kpi-stats.ts';
import { KPI_DEFAULTS, type KpiRule, type ModelPolicy } from './policy.ts';
import type { KpiSummary, Observed, Reason, Window } from './run.ts';

/** The detectors' running state of one KPI: Page's CUSUM and the streak of consecutive window-test breaches. */
export interface KpiTracker {
  cusum: number;
  /** Consecutive windows with data whose window test (floor, ceiling, relative drop, band) breached. */
  streak: number;
  /** Start of the window where the CUSUM last rose from 0, with the windows and summed relative shortfall since. */
  since?: string;
  windows?: number;
  shortfall?: number;
}

/** A level of a KPI over several windows: its count-weighted value and that value's variance. */
export interface KpiLevel {
  value: number;
  count: number;
  /** Variance of `value` as an estimate of the level (sampling and between-window variation). */
  variance: number;
  /** Per-sample variance (rates: at the value; means: pooled; values: 0). */
  unitVariance: number;
  kind: KpiKind;
  windows: number;
  start: string;
  end: string;
}

/** What Monitor hands the decision about one KPI, besides the windows themselves. */
export interface KpiEvidence {
  /** The reference baseline; absent while fewer than two reference windows have data. */
  baseline?: KpiBaseline;
  /** Reference windows with data so far, the number the rule needs, and where judging starts once complete. */
  reference: { windows: number; needed: number; judgedFrom?: string };
  /** Detector state after the windows before the history windows (older evidence summarised). */
  tracker: KpiTracker;
  /** The champion's recent level (windows since its last change, at most `rollout.baselineWindows`). */
  recent?: KpiLevel;
}

/** One KPI's sequential post-deploy test at one check. */
export interface VerifiedKpi {
  metric: string;
  /** `better`/`within`: confidently not worse than the tolerance; `worse`: confidently worse; `undecided`. */
  status: 'within' | 'worse' | 'undecided' | 'missing' | 'unjudged';
  /** Relative change against the pre-deploy level in the good direction (−0.1 = 10% worse) and its bounds. */
  change?: number;
  lower?: number;
  upper?: number;
  count: number;
  before?: number;
  after?: number;
}

const EMPTY_TRACKER: KpiTracker = { cusum: 0, streak: 0 };

/** A percentage for messages: `17%`, `4.2%`, `-24%`. */
export function pc(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '+∞' : '-∞';
  const percent = value * 100;
  return `${Math.abs(percent) >= 10 ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

/** A count for messages: `3,100`. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The shift the rule's CUSUM looks for (relative), or undefined when the rule has no CUSUM. */
export function cusumShift(rule: KpiRule): number | undefined {
  if (rule.cusum === false) return undefined;
  if (rule.cusum.shift !== undefined) return rule.cusum.shift;
  return rule.maxRelativeDrop === undefined ? undefined : rule.maxRelativeDrop * KPI_DEFAULTS.cusumShiftShare;
}

/** Reference windows the rule's baseline uses (the band's, if it asks for more). */
export function referenceWindowCount(rule: KpiRule): number {
  return Math.max(rule.baseline.windows, rule.band?.referenceWindows ?? 0);
}

/** Reference windows with data before the rule judges against its baseline (a band's `minWindows` if fewer). */
export function neededWindows(rule: KpiRule): number {
  return Math.min(rule.baseline.minWindows, rule.band?.minWindows ?? Number.POSITIVE_INFINITY);
}

/** Whether the rule needs a reference baseline at all. */
export function needsBaseline(rule: KpiRule): boolean {
  return rule.maxRelativeDrop !== undefined || rule.band !== undefined || cusumShift(rule) !== undefined;
}

/** Interval of a window's value at the rule's confidence, with the variance model of its kind. */
export function windowInterval(
  rule: KpiRule,
  kpi: KpiSummary,
  baseline: KpiBaseline | undefined,
  expected: number | undefined,
): { lower: number; upper: number; kind: KpiKind; critical: number } {
  const kind = baseline?.kind ?? (rule.kind === 'mean' && kpi.variance === undefined ? 'value' : rule.kind);
  const resolved: KpiKind = kind ?? (kpi.value >= 0 && kpi.value <= 1 ? 'rate' : 'value');
  const z = zFor(rule.confidence);
  const between = baseline?.between ?? 0;
  const n = Math.max(kpi.count, 0);
  if (resolved === 'rate') {
    // τ² > 0 shrinks the count to the one binomial sampling alone would need for the same variance.
    const p = expected ?? kpi.value;
    const unit = Math.max(binomialVariance(p), 1 / (4 * Math.max(n, 1)));
    const effective = between > 0 && n > 0 ? unit / (unit / n + between) : n;
    return { ...wilsonInterval(kpi.value, effective, rule.confidence), kind: 'rate', critical: z };
  }
  if (resolved === 'mean') {
    const unit = kpi.variance ?? baseline?.unitVariance ?? 0;
    const variance = unit / Math.max(n, 1) + between;
    // Welch's degrees of freedom between the window and the reference (Welch 1947).
    const df = baseline
      ? welchDf(unit, Math.max(n, 2), baseline.unitVariance || unit, Math.max(baseline.count, 2))
      : Math.max(n - 1, 1);
    const t = studentQuantile(1 - (1 - rule.confidence) / 2, df);
    const half = t * Math.sqrt(variance);
    return { lower: kpi.value - half, upper: kpi.value + half, kind: 'mean', critical: t };
  }
  const half = z * Math.sqrt(between);
  return { lower: kpi.value - half, upper: kpi.value + half, kind: 'value', critical: z };
}

/** The result of judging one window of one KPI. */
export interface KpiJudgement {
  reasons: Reason[];
  insufficient: boolean;
  /** A window test breached in this window, whether or not enough consecutive windows confirmed it yet. */
  unconfirmed: boolean;
  tracker: KpiTracker;
}

/**
 * Judges one window of one KPI with the rule's statistics: absolute bounds and the relative drop against the
 * baseline as statements at the rule's confidence, the learned band, and the CUSUM. A window test breaches
 * only in the `consecutive`-th window in a row with data that fails it; windows without enough data leave
 * the detectors as they were.
 */
export function judgeKpi(
  rule: KpiRule,
  kpi: KpiSummary | undefined,
  window: Window,
  evidence: Pick<KpiEvidence, 'baseline' | 'reference'> | undefined,
  tracker: KpiTracker = EMPTY_TRACKER,
  championVersion?: number,
): KpiJudgement {
  const subject = rule.metric;
  const minCount = Math.max(rule.minCount, 1);
  if (!kpi || kpi.count < minCount) {
    const n = kpi?.count ?? 0;
    return {
      insufficient: true,
      unconfirmed: false,
      tracker,
      reasons: [
        {
          rule: 'kpi-min-count',
          subject,
          observed: n,
          threshold: minCount,
          breached: false,
          window,
          message: `${subject}: ${count(n)} samples in the window, fewer than ${count(minCount)}: insufficient data, no decision`,
        },
      ],
    };
  }
  const value = kpi.value;
  const baseline = evidence?.baseline;
  const reference = evidence?.reference;
  const judgedFrom = reference?.judgedFrom;
  const complete =
    baseline !== undefined &&
    reference !== undefined &&
    reference.windows >= reference.needed &&
    (judgedFrom === undefined || Date.parse(window.start) >= Date.parse(judgedFrom));
  const expected = baseline ? expectedValue(baseline, window.start) : undefined;
  const interval = windowInterval(rule, kpi, baseline, expected?.mean);
  const level = `${Math.round(rule.confidence * 100)}%`;
  const ci = `${level} CI ${fmt(interval.lower)}..${fmt(interval.upper)}, n=${count(kpi.count)}`;
  const windowTests: Reason[] = [];
  const reasons: Reason[] = [];
  const base = { subject, window };

  if (rule.floor !== undefined) {
    const below = value < rule.floor;
    const breached = interval.upper < rule.floor;
    windowTests.push({
      ...base,
      rule: 'kpi-floor',
      observed: value,
      threshold: rule.floor,
      breached,
      message: breached
        ? `${subject} ${fmt(value)} is below the floor ${fmt(rule.floor)} with ${level} confidence (${ci})`
        : below
          ? `${subject} ${fmt(value)} is below the floor ${fmt(rule.floor)}, but not with ${level} confidence (${ci}): not a breach`
          : `${subject} ${fmt(value)} is at or above the floor ${fmt(rule.floor)}`,
    });
  }
  if (rule.ceiling !== undefined) {
    const above = value > rule.ceiling;
    const breached = interval.lower > rule.ceiling;
    windowTests.push({
      ...base,
      rule: 'kpi-ceiling',
      observed: value,
      threshold: rule.ceiling,
      breached,
      message: breached
        ? `${subject} ${fmt(value)} is above the ceiling ${fmt(rule.ceiling)} with ${level} confidence (${ci})`
        : above
          ? `${subject} ${fmt(value)} is above the ceiling ${fmt(rule.ceiling)}, but not with ${level} confidence (${ci}): not a breach`
          : `${subject} ${fmt(value)} is at or below the ceiling ${fmt(rule.ceiling)}`,
    });
  }
  const higher = rule.direction === 'higher';
  if (needsBaseline(rule) && !complete) {
    const have = reference?.windows ?? 0;
    const needed = reference?.needed ?? neededWindows(rule);
    const owner =
      championVersion === undefined ? 'the reference period' : `v${championVersion}'s first windows`;
    reasons.push({
      ...base,
      rule: 'kpi-learning',
      observed: have,
      threshold: needed,
      breached: false,
      message:
        have >= needed
          ? `${subject}: the baseline is learned from windows after this one; not judged against it`
          : `${subject}: learning the baseline from ${owner} (${have} of ${needed} windows with data): relative drop, band and CUSUM not checked yet`,
    });
  }
  if (rule.maxRelativeDrop !== undefined && complete && baseline && expected) {
    const limit = rule.maxRelativeDrop;
    if (!(Math.abs(expected.mean) > 0)) {
      windowTests.push({
        ...base,
        rule: 'kpi-relative-drop',
        observed: value,
        breached: false,
        message: `${subject} ${fmt(value)}: the baseline is 0, so a relative drop cannot be judged`,
      });
    } else {
      const change = relativeChangeInterval(
        value,
        interval,
        expected.mean,
        Math.sqrt(expected.variance),
        interval.critical,
      );
      // In the bad direction: positive = worse.
      const worse = higher ? -change.change : change.change;
      const worseLow = higher ? -change.upper : change.lower;
      const breached = worseLow > limit;
      const pointBeyond = worse > limit;
      const where = baselineName(baseline, window.start);
      const relation = `${pc(Math.abs(change.change))} ${change.change < 0 ? 'below' : 'above'} ${where} ${fmt(expected.mean)}`;
      const interval95 = `${level} CI of the change ${pc(change.lower)}..${pc(change.upper)}, n=${count(kpi.count)}`;
      windowTests.push({
        ...base,
        rule: 'kpi-relative-drop',
        observed: worse,
        threshold: limit,
        breached,
        message: breached
          ? `${subject} ${fmt(value)} is ${relation} (${interval95}): worse by more than ${pc(limit)} with ${level} confidence`
          : pointBeyond
            ? `${subject} ${fmt(value)} is ${relation} (${interval95}): worse by more than ${pc(limit)}, but not with ${level} confidence`
            : `${subject} ${fmt(value)} is ${relation} (${interval95}): within the ${pc(limit)} limit`,
      });
    }
  }
  if (rule.band && complete && baseline && expected && baseline.windows >= rule.band.minWindows) {
    const sd = Math.sqrt(windowVariance(baseline, kpi, expected.mean) + expected.variance);
    const limit = higher ? expected.mean - rule.band.k * sd : expected.mean + rule.band.k * sd;
    const breached = higher ? value < limit : value > limit;
    windowTests.push({
      ...base,
      rule: 'kpi-band',
      observed: value,
      threshold: limit,
      breached,
      message: `${subject} ${fmt(value)} is ${breached ? 'outside' : 'inside'} the band ${fmt(expected.mean)} ${higher ? '-' : '+'} ${rule.band.k}σ = ${fmt(limit)} (σ ${fmt(sd)} at n=${count(kpi.count)}, learned from ${baseline.windows} windows)`,
    });
  }

  // Consecutive windows: one bad window (an outage, a tracking glitch) is watched, not acted on.
  const failed = windowTests.filter((reason) => reason.breached);
  const streak = failed.length > 0 ? tracker.streak + 1 : 0;
  const confirmed = streak >= rule.consecutive;
  for (const reason of windowTests) {
    if (reason.breached && !confirmed) {
      reasons.push({
        ...reason,
        breached: false,
        message: `${reason.message} (window ${streak} of ${rule.consecutive} in a row needed)`,
      });
    } else reasons.push(reason);
  }

  let next: KpiTracker = { ...tracker, streak };
  const shift = cusumShift(rule);
  if (shift !== undefined && complete && baseline && expected && Math.abs(expected.mean) > 0) {
    const threshold = rule.cusum === false ? 0 : rule.cusum.threshold;
    const variance = windowVariance(baseline, kpi, expected.mean) + expected.variance;
    const step = cusumStep(tracker.cusum, {
      deviation: value - expected.mean,
      expected: expected.mean,
      variance,
      shift,
      threshold,
      worseIsLower: higher,
      baselineSe: Math.sqrt(expected.variance),
    });
    const shortfall = ((higher ? expected.mean - value : value - expected.mean) /
      Math.abs(expected.mean)) as number;
    if (step.statistic > 0) {
      const fresh = tracker.cusum <= 0 || tracker.since === undefined;
      next = {
        ...next,
        cusum: step.statistic,
        since: fresh ? window.start : tracker.since,
        windows: (fresh ? 0 : (tracker.windows ?? 0)) + 1,
        shortfall: (fresh ? 0 : (tracker.shortfall ?? 0)) + shortfall,
      };
    } else next = { cusum: 0, streak };
    const windows = next.windows ?? 0;
    const average = windows > 0 ? (next.shortfall ?? 0) / windows : 0;
    const run =
      step.statistic > 0
        ? `${windows} window${windows === 1 ? '' : 's'} since ${next.since?.slice(0, 10)}, on average ${pc(Math.abs(average))} ${average >= 0 ? 'worse than' : 'better than'} the baseline ${fmt(baseline.mean)}`
        : `no accumulated shortfall against the baseline ${fmt(baseline.mean)}`;
    reasons.push({
      ...base,
      rule: 'kpi-cusum',
      observed: step.statistic,
      threshold,
      breached: step.fired,
      message: step.fired
        ? `${subject} CUSUM ${fmt(step.statistic)} is over its threshold ${fmt(threshold)} (${run}): a sustained decline of about ${pc(shift)} or more`
        : `${subject} CUSUM ${fmt(step.statistic)} is under its threshold ${fmt(threshold)} (${run})`,
    });
  }
  return { reasons, insufficient: false, unconfirmed: failed.length > 0 && !confirmed, tracker: next };
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function baselineName(baseline: KpiBaseline, windowStart: string): string {
  if (!baseline.weekly) return 'the baseline';
  return `the ${WEEKDAYS[new Date(windowStart).getUTCDay()]} baseline`;
}

/** Windows of one KPI with data (at least `minCount` samples) from the windows Monitor read, oldest first. */
export function referenceOf(rule: KpiRule, windows: readonly Observed[]): ReferenceWindow[] {
  const minCount = Math.max(rule.minCount, 1);
  const out: ReferenceWindow[] = [];
  for (const observed of windows) {
    const kpi = observed.kpis.find((k) => k.metric === rule.metric);
    if (!kpi || kpi.count < minCount || !Number.isFinite(kpi.value)) continue;
    out.push({ start: observed.window.start, end: observed.window.end, kpi });
  }
  return out;
}

/**
 * The healthy reference windows of a rule: the first `minWindows` windows with data, then each later one only
 * if, judged against the baseline of the windows accepted before it, it fails no window test and keeps the
 * CUSUM under half its threshold; at most `windows` (or the band's `referenceWindows`). A KPI that degrades
 * while its baseline is still growing does not drag the baseline down with it.
 */
export function healthyReference(
  rule: KpiRule,
  candidates: readonly ReferenceWindow[],
  windowSeconds: number,
): ReferenceWindow[] {
  const limit = referenceWindowCount(rule);
  const needed = Math.min(neededWindows(rule), limit);
  const accepted = candidates.slice(0, needed);
  if (accepted.length < needed) return accepted;
  const single = { ...rule, consecutive: 1 };
  const shift = cusumShift(rule);
  let tracker: KpiTracker = EMPTY_TRACKER;
  for (const candidate of candidates.slice(needed)) {
    if (accepted.length >= limit) break;
    const baseline = learnBaseline(accepted, {
      ...(rule.kind === undefined ? {} : { kind: rule.kind }),
      minCount: rule.minCount,
      seasonality: 'none',
      windowSeconds,
      outliers: false,
    });
    if (!baseline) break;
    const window = { start: candidate.start, end: candidate.end };
    const judged = judgeKpi(
      single,
      candidate.kpi,
      window,
      {
        baseline,
        reference: { windows: accepted.length, needed },
      },
      tracker,
    );
    tracker = judged.tracker;
    const windowFailed = judged.reasons.some((r) => r.breached && r.rule !== 'kpi-cusum');
    const drifting = shift !== undefined && rule.cusum !== false && tracker.cusum > rule.cusum.threshold / 2;
    if (!windowFailed && !drifting) accepted.push(candidate);
  }
  return accepted;
}

export interface EvidenceInput {
  windowSeconds: number;
  /** Candidate reference windows before the current window, oldest first (the champion's first windows). */
  reference: readonly Observed[];
  /** Windows before the history windows that the detectors run over, oldest first. */
  lookback: readonly Observed[];
  /** Windows served by the champion up to and including the current one, oldest first (its recent level). */
  served: readonly Observed[];
  /** At most this many windows form the recent level. */
  recentWindows: number;
}

/**
 * Everything the decision and the verification need to know about one KPI besides the current windows:
 * the baseline learned from the reference, the detectors' state over the lookback windows, and the recent level.
 */
export function kpiEvidence(rule: KpiRule, input: EvidenceInput): KpiEvidence {
  const needed = neededWindows(rule);
  const usable = needsBaseline(rule)
    ? healthyReference(rule, referenceOf(rule, input.reference), input.windowSeconds)
    : [];
  const baseline = needsBaseline(rule)
    ? learnBaseline(usable, {
        ...(rule.kind === undefined ? {} : { kind: rule.kind }),
        minCount: rule.minCount,
        seasonality: rule.baseline.seasonality,
        windowSeconds: input.windowSeconds,
      })
    : undefined;
  const judgedFrom = usable.length >= needed ? usable[needed - 1]?.end : undefined;
  const reference = { windows: usable.length, needed, ...(judgedFrom ? { judgedFrom } : {}) };
  let tracker: KpiTracker = EMPTY_TRACKER;
  if (baseline && judgedFrom) {
    const minCount = Math.max(rule.minCount, 1);
    for (const observed of input.lookback) {
      const kpi = observed.kpis.find((k) => k.metric === rule.metric);
      // Too few samples: judgeKpi would only say so and leave the tracker as it is.
      if (!kpi || kpi.count < minCount) continue;
      tracker = judgeKpi(rule, kpi, observed.window, { baseline, reference }, tracker).tracker;
    }
  }
  const evidence: KpiEvidence = { reference, tracker };
  if (baseline) evidence.baseline = baseline;
  const recent = recentLevel(rule, input.served, input.recentWindows, baseline);
  if (recent) evidence.recent = recent;
  return evidence;
}

/**
 * The recent level of a KPI: count-weighted over the newest windows with data, going back at most `limit`
 * windows and stopping at the last change (a backward two-sided CUSUM on the standardised differences, k = 0.5,
 * h = 4, detects one; the split is where the newer and older stretches differ most): the level before a change is
 * not the level now.
 */
export function recentLevel(
  rule: KpiRule,
  windows: readonly Observed[],
  limit: number,
  baseline?: KpiBaseline,
): KpiLevel | undefined {
  const minCount = Math.max(rule.minCount, 1);
  const data = windows
    .map((observed) => ({
      window: observed.window,
      kpi: observed.kpis.find((k) => k.metric === rule.metric),
    }))
    .filter(
      (entry): entry is { window: Window; kpi: KpiSummary } => !!entry.kpi && entry.kpi.count >= minCount,
    )
    .slice(-limit)
    .reverse();
  if (data.length === 0) return undefined;
  const kind = baseline?.kind ?? (rule.kind === 'mean' ? 'mean' : rule.kind);
  const resolved: KpiKind =
    kind ?? (data.every((d) => d.kpi.value >= 0 && d.kpi.value <= 1) ? 'rate' : 'value');
  const between = baseline?.between ?? 0;
  const variance = (kpi: KpiSummary, mean: number) => {
    const n = Math.max(kpi.count, 1);
    if (resolved === 'rate') return binomialVariance(mean) / n + between;
    if (resolved === 'mean') return (kpi.variance ?? baseline?.unitVariance ?? 0) / n + between;
    return between;
  };
  let sum = 0;
  let weight = 0;
  let kept = 0;
  let up = 0;
  let down = 0;
  for (let i = 0; i < data.length; i += 1) {
    const { kpi } = data[i] as { kpi: KpiSummary };
    if (i > 0) {
      const mean = sum / weight;
      const spread = variance(kpi, mean) + meanVariance(data.slice(0, kept), mean, variance);
      if (spread > 0) {
        const z = (kpi.value - mean) / Math.sqrt(spread);
        up = Math.max(0, up + z - 0.5);
        down = Math.max(0, down - z - 0.5);
        if (up > 4 || down > 4) {
          kept = changePoint(data.slice(0, i + 1), variance);
          break;
        }
      }
    }
    const w = kpi.count > 0 ? kpi.count : 1;
    sum += w * kpi.value;
    weight += w;
    kept = i + 1;
  }
  const used = data.slice(0, Math.max(kept, 1));
  let total = 0;
  let n = 0;
  for (const { kpi } of used) {
    const w = kpi.count > 0 ? kpi.count : 1;
    total += w * kpi.value;
    n += w;
  }
  const value = total / n;
  const unit =
    resolved === 'rate'
      ? binomialVariance(value)
      : resolved === 'mean'
        ? (baseline?.unitVariance ?? used[0]?.kpi.variance ?? 0)
        : 0;
  let levelVariance = meanVariance(used, value, variance);
  if (resolved === 'value' && !(between > 0) && used.length > 1) {
    // No model and no baseline: the spread of the windows themselves.
    const spread = used.reduce((s, d) => s + (d.kpi.value - value) ** 2, 0) / (used.length - 1);
    levelVariance = spread / used.length;
  }
  return {
    value,
    count: used.reduce((s, d) => s + d.kpi.count, 0),
    variance: levelVariance,
    unitVariance: unit,
    kind: resolved,
    windows: used.length,
    start: (used[used.length - 1] as { window: Window }).window.start,
    end: (used[0] as { window: Window }).window.end,
  };
}

/**
 * Where a stretch of windows (newest first) that ends in a change splits best: the number of newest windows
 * whose count-weighted mean differs most, in standard errors, from the mean of the older rest.
 */
function changePoint(
  entries: readonly { kpi: KpiSummary }[],
  variance: (kpi: KpiSummary, mean: number) => number,
): number {
  const meanOf = (part: readonly { kpi: KpiSummary }[]) => {
    let total = 0;
    let n = 0;
    for (const { kpi } of part) {
      const w = kpi.count > 0 ? kpi.count : 1;
      total += w * kpi.value;
      n += w;
    }
    return total / n;
  };
  let best = 1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let split = 1; split < entries.length; split += 1) {
    const newer = entries.slice(0, split);
    const older = entries.slice(split);
    const a = meanOf(newer);
    const b = meanOf(older);
    const spread = meanVariance(newer, a, variance) + meanVariance(older, b, variance);
    const score = spread > 0 ? Math.abs(a - b) / Math.sqrt(spread) : Math.abs(a - b);
    if (score > bestScore) {
      bestScore = score;
      best = split;
    }
  }
  return best;
}

function meanVariance(
  entries: readonly { kpi: KpiSummary }[],
  mean: number,
  variance: (kpi: KpiSummary, mean: number) => number,
): number {
  let weight = 0;
  let sum = 0;
  for (const { kpi } of entries) {
    const w = kpi.count > 0 ? kpi.count : 1;
    weight += w;
    sum += w * w * variance(kpi, mean);
  }
  return weight > 0 ? sum / (weight * weight) : 0;
}

/** Windows without drift and quality: KPI evidence needs only the KPIs. */
export const kpisOnly = (windows: readonly Observed[]): Observed[] =>
  windows.map((observed) => ({ window: observed.window, kpis: observed.kpis, drift: [] }));

/**
 * The windows a rule's reference is read from: its fixed period, or the champion's first windows after its
 * deploy that end before `before` (twice the windows it needs, so that gaps do not shorten the reference).
 * Undefined when there is nothing to read.
 */
export function referencePeriod(
  rule: KpiRule,
  windowSeconds: number,
  champion: { since: string } | null,
  before: string,
): { start: string; count: number } | undefined {
  if (!needsBaseline(rule)) return undefined;
  const width = windowSeconds * 1000;
  let start: string;
  let windows: number;
  if (rule.baseline.start !== undefined && rule.baseline.end !== undefined) {
    start = rule.baseline.start;
    const end = Math.min(Date.parse(rule.baseline.end), Date.parse(before));
    windows = Math.min(100, Math.floor((end - Date.parse(start)) / width));
  } else {
    if (!champion) return undefined;
    start = champion.since;
    windows = Math.min(
      2 * referenceWindowCount(rule),
      Math.floor((Date.parse(before) - Date.parse(start)) / width),
    );
  }
  return windows > 0 ? { start, count: windows } : undefined;
}

/**
 * The KPI evidence of the last of `windows` (Monitor's lookback, oldest first, ending at the run's time) for
 * every KPI rule; `history` windows before it are carried in the state and judged by Analyze itself, the older
 * ones are summarised in the detectors' state. `referenceFor` gives the windows of {@link referencePeriod}.
 */
export function policyEvidence(
  policy: Pick<ModelPolicy, 'kpis' | 'rollout' | 'window'>,
  windowSeconds: number,
  champion: { since: string } | null,
  windows: readonly Observed[],
  history: number,
  referenceFor: (rule: KpiRule) => readonly Observed[],
): Record<string, KpiEvidence> {
  const current = windows[windows.length - 1];
  if (!current) return {};
  const since = champion ? Date.parse(champion.since) : Number.NEGATIVE_INFINITY;
  const served = kpisOnly(windows.filter((w) => Date.parse(w.window.start) >= since));
  const lookback = kpisOnly(
    windows
      .slice(0, Math.max(0, windows.length - 1 - history))
      .filter((w) => Date.parse(w.window.start) >= since),
  );
  const evidence: Record<string, KpiEvidence> = {};
  for (const rule of policy.kpis) {
    const detectors =
      rule.cusum !== false && cusumShift(rule) !== undefined
        ? lookback.slice(-rule.cusum.lookback)
        : lookback;
    evidence[rule.metric] = kpiEvidence(rule, {
      windowSeconds,
      reference: referenceFor(rule),
      lookback: detectors,
      served,
      recentWindows: policy.rollout.baselineWindows,
    });
  }
  return evidence;
}

/**
 * Windows Monitor reads before the run's time (the current one included): the persistence windows, and for KPI
 * rules the CUSUM's lookback and the windows of the champion's recent level (post-deploy verification).
 */
export function lookbackWindowCount(
  policy: Pick<ModelPolicy, 'kpis' | 'rollout'>,
  recentWindows: number,
): number {
  if (policy.kpis.length === 0) return recentWindows;
  const detectors = Math.max(
    0,
    ...policy.kpis.map((rule) =>
      rule.cusum !== false && cusumShift(rule) !== undefined ? rule.cusum.lookback : rule.consecutive,
    ),
  );
  return Math.max(recentWindows, detectors + recentWindows, policy.rollout.baselineWindows);
}
