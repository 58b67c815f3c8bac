import { fmt } from './format.ts';
import { count, type KpiEvidence, type KpiLevel, pc, type VerifiedKpi } from './kpi-evidence.ts';

/** A signed percentage: `+18%`, `-3.9%`. */
const signed = (value: number) => `${value >= 0 ? '+' : ''}${pc(value)}`;

import { binomialVariance, zFor } from './kpi-stats.ts';
import type { ModelPolicy } from './policy.ts';
import type { KpiSummary, Verdict } from './run.ts';
import { confidenceSequence } from './sequential.ts';

export interface VerifyInput {
  policy: Pick<ModelPolicy, 'kpis' | 'rollout'>;
  /** KPIs of the window before the deploy (the Monitor step's observation). */
  before: KpiSummary[];
  /** Monitor's evidence of that window: each KPI's recent level and baseline (τ²). */
  evidence?: Record<string, KpiEvidence> | undefined;
  /** KPIs observed since the deploy. */
  after: KpiSummary[];
  /** How many monitoring windows the post-deploy data spans (between-window variation shrinks with it). */
  afterWindows?: number;
  /** Number of this check, starting at 1. */
  check: number;
}

/** The level a deploy is compared with: Monitor's recent level, or (without it) the window before the deploy. */
function levelOf(metric: string, input: VerifyInput): KpiLevel | undefined {
  const recent = input.evidence?.[metric]?.recent;
  if (recent) return recent;
  const window = input.before.find((kpi) => kpi.metric === metric);
  if (!window || window.count < 1) return undefined;
  const rate = window.value >= 0 && window.value <= 1;
  const unit = rate ? binomialVariance(window.value) : (window.variance ?? 0);
  return {
    value: window.value,
    count: window.count,
    variance: unit / window.count,
    unitVariance: unit,
    kind: rate ? 'rate' : window.variance === undefined ? 'value' : 'mean',
    windows: 1,
    start: '',
    end: '',
  };
}

/**
 * Decides whether a rollout holds with an always-valid test per KPI ({@link confidenceSequence}): the relative
 * change of the post-deploy KPI against the previous champion's recent level, in the good direction. A KPI is
 * `within` once the sequence's lower bound is above −`maxRelativeDrop`, `worse` once its upper bound is below
 * 0; checking every bake period does not inflate either error. Any `worse` KPI fails the rollout; all
 * `within` (or without a level to compare with) pass it; otherwise it is `pending`. At the last check a KPI
 * without `minCount` samples fails it (no data is not a pass) and an undecided one is kept unless that check's
 * fixed-sample interval lies below 0 (the candidate passed the gate; little data must not flip a coin).
 */
export function verifyRollout(input: VerifyInput): {
  verdict: Verdict;
  reasons: string[];
  kpis: VerifiedKpi[];
} {
  const { policy, after, check } = input;
  const { maxChecks, maxRelativeDrop } = policy.rollout;
  const confidence = policy.rollout.confidence ?? 0.95;
  const minCount = policy.rollout.minCount ?? 1;
  if (policy.kpis.length === 0) return { verdict: 'pass', reasons: ['no KPI rules to verify'], kpis: [] };
  const last = check >= maxChecks;
  const level = `${Math.round(confidence * 100)}%`;
  const reasons: string[] = [];
  const kpis: VerifiedKpi[] = [];
  let failed = false;
  let waiting = false;
  for (const rule of policy.kpis) {
    const { metric } = rule;
    const now = after.find((kpi) => kpi.metric === metric);
    const n = now?.count ?? 0;
    if (!now || n < minCount) {
      kpis.push({ metric, status: 'missing', count: n });
      reasons.push(`${metric} has ${count(n)} of ${count(minCount)} samples since the deploy`);
      if (last) failed = true;
      else waiting = true;
      continue;
    }
    const before = levelOf(metric, input);
    if (!before) {
      kpis.push({ metric, status: 'unjudged', count: n, after: now.value });
      reasons.push(
        `${metric} ${fmt(now.value)} after the deploy (n=${count(n)}); no pre-deploy value to compare with`,
      );
      continue;
    }
    const scale = Math.abs(before.value);
    const sign = rule.direction === 'higher' ? 1 : -1;
    const between = input.evidence?.[metric]?.baseline?.between ?? 0;
    const spread = Math.max(input.afterWindows ?? 1, 1);
    let afterVariance: number;
    if (before.kind === 'rate') afterVariance = binomialVariance(before.value) / n + between / spread;
    else if (before.kind === 'mean')
      afterVariance = (now.variance ?? before.unitVariance) / n + between / spread;
    else afterVariance = between / spread;
    const variance = afterVariance + before.variance;
    const describe = (text: string) =>
      `${metric} ${fmt(before.value)} -> ${fmt(now.value)} (${text}, n=${count(n)} after, ${count(before.count)} before over ${before.windows} window${before.windows === 1 ? '' : 's'})`;
    if (!(scale > 0) || !(variance > 0)) {
      // No sampling model to test with (a value KPI without a baseline, or a zero level): the point change decides.
      const change = scale > 0 ? (sign * (now.value - before.value)) / scale : 0;
      const worse = change < -maxRelativeDrop;
      kpis.push({
        metric,
        status: worse ? 'worse' : 'within',
        change,
        count: n,
        before: before.value,
        after: now.value,
      });
      failed ||= worse;
      reasons.push(
        `${describe(signed(change))}: no sampling model, ${worse ? 'worse than' : 'within'} the ${pc(maxRelativeDrop)} rollback limit`,
      );
      continue;
    }
    const bounds = confidenceSequence(
      sign * (now.value - before.value),
      variance,
      maxRelativeDrop * scale,
      1 - confidence,
    );
    const change = bounds.estimate / scale;
    const lower = bounds.lower / scale;
    const upper = bounds.upper / scale;
    const interval = `${signed(change)}, ${level} confidence sequence ${signed(lower)}..${signed(upper)}`;
    const entry = { metric, change, lower, upper, count: n, before: before.value, after: now.value };
    if (lower > -maxRelativeDrop) {
      kpis.push({ ...entry, status: 'within' });
      reasons.push(
        `${describe(interval)}: not worse than the ${pc(maxRelativeDrop)} rollback limit with ${level} confidence`,
      );
    } else if (upper < 0) {
      kpis.push({ ...entry, status: 'worse' });
      failed = true;
      reasons.push(`${describe(interval)}: worse than before with ${level} confidence`);
    } else if (last) {
      // Undecided at the last check: keep the candidate the gate preferred unless this check's own (fixed-sample)
      // interval says it is worse than before; never a coin flip on little data.
      const fixedUpper = change + (zFor(confidence) * Math.sqrt(variance)) / scale;
      const keep = fixedUpper >= 0;
      kpis.push({ ...entry, status: keep ? 'within' : 'worse' });
      failed ||= !keep;
      reasons.push(
        `${describe(interval)}: undecided after ${check} checks; this check alone ${keep ? 'does not show it worse than before' : `shows it worse than before (${level} upper bound ${pc(fixedUpper)})`}: ${keep ? 'kept' : 'rolled back'}`,
      );
    } else {
      kpis.push({ ...entry, status: 'undecided' });
      waiting = true;
      reasons.push(`${describe(interval)}: undecided`);
    }
  }
  if (failed) {
    if (kpis.some((k) => k.status === 'missing') && last)
      reasons.push(`no data after ${check} checks counts as a failure`);
    return { verdict: 'fail', reasons, kpis };
  }
  if (waiting)
    return {
      verdict: 'pending',
      reasons: [...reasons, `check ${check} of ${maxChecks}: waiting for data`],
      kpis,
    };
  return { verdict: 'pass', reasons, kpis };
}
