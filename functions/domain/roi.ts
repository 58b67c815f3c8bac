/**
 * Return on each retrain: the KPI uplift of a deploy (the version's serving period against its predecessor's,
 * with a confidence interval and the counts behind it) and, where the policy values a KPI unit, its money.
 * Pure: KPI rows and run summaries in, figures out.
 */
import type { VerifiedKpi } from './kpi-evidence.ts';
import { studentQuantile, welchDf, wilsonInterval, zFor } from './kpi-stats.ts';
import type { KpiRule } from './policy.ts';
import type { Outcome, Window } from './run.ts';

/** A stored KPI row (the fields the uplift reads). */
export interface KpiRow {
  metric: string;
  value: number;
  count: number;
  timestamp: string;
  sd?: number;
  sum?: number;
  sumSquares?: number;
}

/** The interval method of an uplift. */
export type UpliftMethod = 'newcombe-wilson' | 'welch' | 'welch-rows';

/** One side of a comparison: the level and what it rests on. */
export interface Level {
  value: number;
  /** Trials (rates), samples (means) or rows (values). */
  count: number;
  rows: number;
  window: Window;
}

/** A KPI's uplift after a deploy, in the good direction (positive = better), with its interval. */
export interface KpiUplift {
  metric: string;
  kind: 'rate' | 'mean' | 'value';
  direction: 'higher' | 'lower';
  method: UpliftMethod;
  confidence: number;
  before: Level;
  after: Level;
  /** `after − before` for `higher`, `before − after` for `lower`. */
  uplift: number;
  lower: number;
  upper: number;
  /** Uplift relative to the level before. */
  relative: number;
  /** The uplift in money over the period after: uplift × exposure × `value.perUnit`, with its interval. */
  money?: {
    currency: string;
    perUnit: number;
    exposure: number;
    value: number;
    lower: number;
    upper: number;
  };
  /** Why there is no figure: no rows before or after, or too few for an interval. */
  missing?: string;
}

/** One change of champion by a verified promotion, and the periods compared. */
export interface DeployPeriod {
  version: number;
  previousVersion: number | null;
  executionName: string;
  /** The logical time the version began serving (the promoting run's as-of). */
  since: string;
  /** Its serving period measured: from `since` to the next change of champion, now, or `since + days`. */
  after: Window;
  /** The predecessor's period of the same length just before, cut at its own start. */
  before: Window;
}

/** The ROI of one deploy. */
export interface DeployRoi extends DeployPeriod {
  kpis: KpiUplift[];
}

/** A run as the ROI reads it. */
export interface RunSummary {
  asOf: string;
  outcome: Outcome;
  championBefore: number | null;
  championAfter: number | null;
  executionName: string;
}

const DAY_MS = 86_400_000;

/**
 * The deploys among `runs` (verified promotions that moved the champion) and the periods to compare: the
 * version's serving period, from its deploy to the next change of champion (a later promotion or a rollback),
 * `now`, or `days` later, whichever comes first; and its predecessor's period of the same length before it.
 */
export function deployPeriods(runs: readonly RunSummary[], now: string, days: number): DeployPeriod[] {
  const changes = runs
    .filter((run) => run.championAfter !== run.championBefore && run.outcome !== 'unlocked')
    .sort((a, b) => a.asOf.localeCompare(b.asOf));
  const periods: DeployPeriod[] = [];
  for (const [index, run] of changes.entries()) {
    if (run.outcome !== 'promoted' || run.championAfter === null) continue;
    const start = Date.parse(run.asOf);
    const next = changes[index + 1];
    const end = Math.min(
      next ? Date.parse(next.asOf) : Number.POSITIVE_INFINITY,
      Date.parse(now),
      start + days * DAY_MS,
    );
    if (!(end > start)) continue;
    const previous = changes[index - 1];
    const previousStart =
      run.championBefore !== null && previous ? Date.parse(previous.asOf) : Number.NEGATIVE_INFINITY;
    const beforeStart = Math.max(start - (end - start), previousStart);
    periods.push({
      version: run.championAfter,
      previousVersion: run.championBefore,
      executionName: run.executionName,
      since: run.asOf,
      after: { start: run.asOf, end: new Date(end).toISOString() },
      before: { start: new Date(beforeStart).toISOString(), end: run.asOf },
    });
  }
  return periods;
}

interface Aggregate {
  mean: number;
  n: number;
  rows: number;
  /** Per-sample variance (means), per-row variance (values); undefined when not known. */
  variance?: number;
}

/** Count-weighted mean of the rows; a mean's pooled per-sample variance when every row carries its spread. */
function aggregate(rows: readonly KpiRow[], kind: KpiUplift['kind']): Aggregate {
  if (kind === 'value') {
    const n = rows.length;
    const mean = rows.reduce((sum, row) => sum + row.value, 0) / Math.max(n, 1);
    const ss = rows.reduce((sum, row) => sum + (row.value - mean) ** 2, 0);
    return { mean, n, rows: n, ...(n > 1 ? { variance: ss / (n - 1) } : {}) };
  }
  const n = rows.reduce((sum, row) => sum + row.count, 0);
  const mean = rows.reduce((sum, row) => sum + row.value * row.count, 0) / Math.max(n, 1);
  if (kind === 'rate') return { mean, n, rows: rows.length };
  // Within-row sums of squares plus each row's offset from the pooled mean: (c−1)s² + c(v − mean)².
  let ss = 0;
  for (const row of rows) {
    const variance = rowSpread(row);
    if (variance === undefined) return { mean, n, rows: rows.length };
    ss += (row.count - 1) * variance + row.count * (row.value - mean) ** 2;
  }
  return { mean, n, rows: rows.length, ...(n > 1 ? { variance: ss / (n - 1) } : {}) };
}

function rowSpread(row: KpiRow): number | undefined {
  if (row.sd !== undefined) return row.sd * row.sd;
  if (row.sum === undefined || row.sumSquares === undefined || row.count < 2) return undefined;
  return Math.max(0, (row.sumSquares - (row.sum * row.sum) / row.count) / (row.count - 1));
}

/** The rule's kind, or the README's default: `rate` when every value lies in [0, 1], else `value`. */
function kindOf(rule: Pick<KpiRule, 'kind'>, rows: readonly KpiRow[]): KpiUplift['kind'] {
  if (rule.kind) return rule.kind;
  return rows.every((row) => row.value >= 0 && row.value <= 1) ? 'rate' : 'value';
}

/**
 * Newcombe's hybrid score interval for a difference of proportions p2 − p1 (Newcombe 1998, method 10): each
 * proportion's Wilson interval, combined as L = d − √((p2−l2)² + (u1−p1)²), U = d + √((u2−p2)² + (p1−l1)²).
 */
export function newcombeInterval(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  confidence: number,
): { difference: number; lower: number; upper: number } {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const w1 = wilsonInterval(p1, n1, confidence);
  const w2 = wilsonInterval(p2, n2, confidence);
  const d = p2 - p1;
  return {
    difference: d,
    lower: d - Math.sqrt((p2 - w2.lower) ** 2 + (w1.upper - p1) ** 2),
    upper: d + Math.sqrt((w2.upper - p2) ** 2 + (p1 - w1.lower) ** 2),
  };
}

/** Welch's interval for a difference of means m2 − m1 with per-observation variances (Welch 1947). */
export function welchInterval(
  m1: number,
  v1: number,
  n1: number,
  m2: number,
  v2: number,
  n2: number,
  confidence: number,
): { difference: number; lower: number; upper: number; df: number } {
  const se = Math.sqrt(v1 / n1 + v2 / n2);
  const df = welchDf(v1, n1, v2, n2);
  const t = Number.isFinite(df) ? studentQuantile(1 - (1 - confidence) / 2, df) : zFor(confidence);
  const d = m2 - m1;
  return { difference: d, lower: d - t * se, upper: d + t * se, df };
}

/**
 * The uplift of one KPI between the rows `before` and `after`: rates by Newcombe's interval on the pooled
 * trials, means by Welch on the pooled per-sample variance, values by Welch on the rows as observations.
 */
export function kpiUplift(
  rule: Pick<KpiRule, 'metric' | 'direction' | 'kind' | 'confidence' | 'value'>,
  before: readonly KpiRow[],
  after: readonly KpiRow[],
  windows: { before: Window; after: Window },
): KpiUplift {
  const kind0 = kindOf(rule, [...before, ...after]);
  const b0 = aggregate(before, kind0);
  const a0 = aggregate(after, kind0);
  // A mean without spreads has no per-sample variance: judged on its rows, as a value.
  const kind = kind0 === 'mean' && (b0.variance === undefined || a0.variance === undefined) ? 'value' : kind0;
  const b = kind === kind0 ? b0 : aggregate(before, kind);
  const a = kind === kind0 ? a0 : aggregate(after, kind);
  const sign = rule.direction === 'lower' ? -1 : 1;
  const level = (agg: Aggregate, window: Window): Level => ({
    value: agg.mean,
    count: agg.n,
    rows: agg.rows,
    window,
  });
  const method: UpliftMethod = kind === 'rate' ? 'newcombe-wilson' : kind === 'mean' ? 'welch' : 'welch-rows';
  const base = {
    metric: rule.metric,
    kind,
    direction: rule.direction,
    method,
    confidence: rule.confidence,
    before: level(b, windows.before),
    after: level(a, windows.after),
  };
  const none = (missing: string): KpiUplift => ({
    ...base,
    uplift: Number.NaN,
    lower: Number.NaN,
    upper: Number.NaN,
    relative: Number.NaN,
    missing,
  });
  if (before.length === 0 || b.n === 0) return none('no rows before the deploy');
  if (after.length === 0 || a.n === 0) return none('no rows after the deploy');
  let interval: { difference: number; lower: number; upper: number };
  if (kind === 'rate') interval = newcombeInterval(b.mean * b.n, b.n, a.mean * a.n, a.n, rule.confidence);
  else {
    if (b.variance === undefined || a.variance === undefined)
      return none('too few rows for an interval (at least 2 on each side)');
    interval = welchInterval(b.mean, b.variance, b.n, a.mean, a.variance, a.n, rule.confidence);
  }
  const uplift = sign * interval.difference;
  const [lower, upper] = sign > 0 ? [interval.lower, interval.upper] : [-interval.upper, -interval.lower];
  const result: KpiUplift = {
    ...base,
    uplift,
    lower,
    upper,
    relative: b.mean === 0 ? Number.NaN : uplift / Math.abs(b.mean),
  };
  if (rule.value) {
    // Rates and means: per trial or sample after the deploy; values: per row (one per window).
    const exposure = a.n;
    const perUnit = rule.value.perUnit;
    const ends = [lower * exposure * perUnit, upper * exposure * perUnit];
    result.money = {
      currency: rule.value.currency,
      perUnit,
      exposure,
      value: uplift * exposure * perUnit,
      lower: Math.min(...ends),
      upper: Math.max(...ends),
    };
  }
  return result;
}

/** The ROI of each deploy: every KPI of the policy compared between the periods, from the model's KPI rows. */
export function deployRois(
  kpis: readonly Pick<KpiRule, 'metric' | 'direction' | 'kind' | 'confidence' | 'value'>[],
  periods: readonly DeployPeriod[],
  rows: readonly KpiRow[],
): DeployRoi[] {
  const inside = (window: Window, metric: string) =>
    rows.filter(
      (row) => row.metric === metric && row.timestamp >= window.start && row.timestamp < window.end,
    );
  return periods.map((period) => ({
    ...period,
    kpis: kpis.map((rule) =>
      kpiUplift(rule, inside(period.before, rule.metric), inside(period.after, rule.metric), period),
    ),
  }));
}

/** What a verified deploy earned during its verification, in one currency (the dashboard's ROI figure). */
export interface VerifiedValue {
  currency: string;
  /** Σ over the KPIs with a `value`: the change in the good direction × the post-deploy count × `perUnit`. */
  value: number;
  kpis: string[];
}

/**
 * The money value of a verified deploy from its last verification check, per currency: each KPI with a
 * `value` gives (after − before, in its good direction) × the events or samples counted since the deploy ×
 * `perUnit`. A KPI of kind `value` (one figure per window) has no count to scale and is left out, as is a KPI
 * the check could not measure. `kaizen roi` gives the fuller figure, with intervals, over the serving period.
 */
export function verifiedValues(
  rules: readonly Pick<KpiRule, 'metric' | 'direction' | 'kind' | 'value'>[],
  kpis: readonly VerifiedKpi[],
): VerifiedValue[] {
  const byCurrency = new Map<string, VerifiedValue>();
  for (const rule of rules) {
    const kpi = kpis.find((verified) => verified.metric === rule.metric);
    if (!rule.value || rule.kind === 'value' || !kpi) continue;
    if (kpi.before === undefined || kpi.after === undefined || kpi.count <= 0) continue;
    const uplift = (kpi.after - kpi.before) * (rule.direction === 'lower' ? -1 : 1);
    const entry = byCurrency.get(rule.value.currency) ?? {
      currency: rule.value.currency,
      value: 0,
      kpis: [],
    };
    entry.value += uplift * kpi.count * rule.value.perUnit;
    entry.kpis.push(rule.metric);
    byCurrency.set(rule.value.currency, entry);
  }
  return [...byCurrency.values()];
}
