import { relativeWorsening } from './analyze.ts';
import { fmt, pct } from './format.ts';
import type { ModelPolicy } from './policy.ts';
import type { KpiSummary, Verdict } from './run.ts';

export interface VerifyInput {
  policy: Pick<ModelPolicy, 'kpis' | 'rollout'>;
  /** KPIs of the window before the deploy (the Monitor step's observation). */
  before: KpiSummary[];
  /** KPIs observed since the deploy. */
  after: KpiSummary[];
  /** Number of this check, starting at 1. */
  check: number;
}

/**
 * Decides whether a rollout holds: `fail` when a KPI got worse than before by more than the rollout's
 * limit, `pending` while post-deploy data is insufficient, and `fail` when it is still insufficient at
 * the last check (no data is not a pass).
 */
export function verifyRollout(input: VerifyInput): { verdict: Verdict; reasons: string[] } {
  const { policy, before, after, check } = input;
  const { maxChecks, maxRelativeDrop } = policy.rollout;
  if (policy.kpis.length === 0) return { verdict: 'pass', reasons: ['no KPI rules to verify'] };

  const reasons: string[] = [];
  const missing: string[] = [];
  let failed = false;
  for (const rule of policy.kpis) {
    const now = after.find((kpi) => kpi.metric === rule.metric);
    const minCount = Math.max(rule.minCount, 1);
    if (!now || now.count < minCount) {
      missing.push(`${rule.metric} has ${now?.count ?? 0} of ${minCount} samples since the deploy`);
      continue;
    }
    const then = before.find((kpi) => kpi.metric === rule.metric);
    if (!then || then.count < minCount) {
      reasons.push(`${rule.metric} ${fmt(now.value)} after the deploy; no pre-deploy value to compare with`);
      continue;
    }
    const worsening = relativeWorsening(rule.direction, then.value, now.value);
    const worse = worsening > maxRelativeDrop;
    failed ||= worse;
    reasons.push(
      `${rule.metric} ${fmt(then.value)} -> ${fmt(now.value)} (${worsening > 0 ? '-' : '+'}${pct(Math.abs(worsening))}): ` +
        `${worse ? 'worse than' : 'within'} the ${pct(maxRelativeDrop)} rollback limit`,
    );
  }
  if (failed) return { verdict: 'fail', reasons: [...reasons, ...missing] };
  if (missing.length > 0) {
    if (check >= maxChecks) {
      return {
        verdict: 'fail',
        reasons: [...reasons, ...missing, `no data after ${check} checks counts as a failure`],
      };
    }
    return {
      verdict: 'pending',
      reasons: [...reasons, ...missing, `check ${check} of ${maxChecks}: waiting for data`],
    };
  }
  return { verdict: 'pass', reasons };
}
