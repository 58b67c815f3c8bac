import type { KpiRule, ModelPolicy } from './policy.ts';
import { driftThreshold } from './policy.ts';
import type { Champion, Decision, KpiSummary, Observed, Reason } from './run.ts';

/** Relative move of `value` away from `reference` in the KPI's bad direction (0.1 = 10% worse). */
export function relativeWorsening(direction: KpiRule['direction'], reference: number, value: number): number {
  if (reference === 0) return value === reference ? 0 : Number.POSITIVE_INFINITY;
  const change = (value - reference) / Math.abs(reference);
  return direction === 'higher' ? -change : change;
}

function kpiReasons(rule: KpiRule, summary: KpiSummary | undefined, champion: Champion | null, observed: Observed) {
  const { window } = observed;
  const subject = rule.metric;
  const minCount = Math.max(rule.minCount, 1);
  if (!summary || summary.count < minCount) {
    const count = summary?.count ?? 0;
    return {
      insufficient: true,
      reasons: [
        {
          rule: 'kpi-min-count',
          subject,
          observed: count,
          threshold: minCount,
          breached: false,
          window,
          message: `${subject}: ${count} samples in the window, fewer than ${minCount}: insufficient data, no decision`,
        },
      ] satisfies Reason[],
    };
  }
  const reasons: Reason[] = [];
  const value = summary.value;
  if (rule.floor !== undefined) {
    const breached = value < rule.floor;
    reasons.push({
      rule: 'kpi-floor',
      subject,
      observed: value,
      threshold: rule.floor,
      breached,
      window,
      message: `${subject} ${fmt(value)} ${breached ? 'is below' : 'is at or above'} the floor ${fmt(rule.floor)}`,
    });
  }
  if (rule.ceiling !== undefined) {
    const breached = value > rule.ceiling;
    reasons.push({
      rule: 'kpi-ceiling',
      subject,
      observed: value,
      threshold: rule.ceiling,
      breached,
      window,
      message: `${subject} ${fmt(value)} ${breached ? 'is above' : 'is at or below'} the ceiling ${fmt(rule.ceiling)}`,
    });
  }
  if (rule.maxRelativeDrop !== undefined) {
    const baseline = champion?.baseline?.[subject];
    if (baseline === undefined) {
      reasons.push({
        rule: 'kpi-relative-drop',
        subject,
        breached: false,
        window,
        message: `${subject}: the champion has no baseline yet, relative drop not checked`,
      });
    } else {
      const worsening = relativeWorsening(rule.direction, baseline, value);
      const breached = worsening > rule.maxRelativeDrop;
      reasons.push({
        rule: 'kpi-relative-drop',
        subject,
        observed: worsening,
        threshold: rule.maxRelativeDrop,
        breached,
        window,
        message: `${subject} ${fmt(value)} is ${pct(worsening)} ${worsening >= 0 ? 'worse' : 'better'} than the champion's baseline ${fmt(baseline)} (limit ${pct(rule.maxRelativeDrop)})`,
      });
    }
  }
  return { insufficient: false, reasons };
}

/**
 * Compares a window's observations with the model's policy and decides whether to retrain.
 * Insufficient data is never a breach; a missing champion or `force` always retrains.
 */
export function analyze(input: {
  policy: ModelPolicy;
  observed: Observed;
  champion: Champion | null;
  force: boolean;
}): Decision {
  const { policy, observed, champion, force } = input;
  const reasons: Reason[] = [];
  let insufficient = 0;

  if (force) reasons.push({ rule: 'forced', breached: true, message: 'retraining was forced by the execution input' });
  if (!champion) {
    reasons.push({ rule: 'no-champion', breached: true, message: 'no champion yet: train the first version' });
  }
  for (const rule of policy.kpis) {
    const summary = observed.kpis.find((kpi) => kpi.metric === rule.metric);
    const result = kpiReasons(rule, summary, champion, observed);
    if (result.insufficient) insufficient += 1;
    reasons.push(...result.reasons);
  }
  if (policy.drift) {
    for (const drift of observed.drift) {
      const threshold = driftThreshold(policy.drift, drift.feature);
      const breached = drift.score > threshold;
      reasons.push({
        rule: 'drift-score',
        subject: drift.feature,
        observed: drift.score,
        threshold,
        breached,
        window: observed.window,
        message: `${drift.feature} drift ${fmt(drift.score)} (${drift.method}) ${breached ? 'exceeds' : 'is within'} ${fmt(threshold)}`,
      });
    }
  }

  const breaches = reasons.filter((reason) => reason.breached);
  if (breaches.length > 0) {
    return { action: 'retrain', reasons, summary: `retrain: ${breaches.map((r) => r.message).join('; ')}` };
  }
  const summary =
    insufficient > 0
      ? `no decision: insufficient data for ${insufficient} of ${policy.kpis.length} KPIs`
      : 'healthy: every rule within its threshold';
  return { action: 'none', reasons, summary };
}

function fmt(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
