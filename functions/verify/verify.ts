import { durationSeconds, windowStarting } from '#domain/duration.ts';
import type { KpiObservation, Observation } from '#domain/observations.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import type { Deployment, Observed, RunContext, Verification } from '#domain/run.ts';
import { verifyRollout } from '#domain/verify.ts';
import { summarize } from '#domain/windows.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { queryObservations } from '#stores/observations.ts';

export interface VerifyEvent {
  run: RunContext;
  policy: ModelPolicy;
  observed: Observed;
  deployment: Deployment;
  verification: Verification;
}

/**
 * The post-deploy data of a check: from the run's logical time, one monitoring window or the bake periods
 * waited so far, whichever is longer (the data accrues check by check), and how many windows that spans.
 */
export function verificationWindow(
  policy: ModelPolicy,
  asOf: string,
  check: number,
): { window: { start: string; end: string }; windows: number } {
  const windowSeconds = durationSeconds(policy.window);
  const waited = durationSeconds(policy.rollout.bakePeriod) * check;
  const seconds = Math.max(windowSeconds, waited);
  return { window: windowStarting(asOf, seconds), windows: Math.max(1, Math.floor(seconds / windowSeconds)) };
}

/**
 * The post-deploy KPI rows of the candidate and of the previous champion, when rows say which version served
 * them and both versions have some (traffic stages, a canary); undefined otherwise.
 */
export function splitByVersion(
  rows: readonly (Observation | { type: 'quality' })[],
  deployment: Pick<Deployment, 'version' | 'previousVersion'>,
): { candidate: KpiObservation[]; champion: KpiObservation[] } | undefined {
  if (deployment.previousVersion === null) return undefined;
  const ofVersion = (version: number) =>
    rows.filter((row): row is KpiObservation => row.type === 'kpi' && row.version === version);
  const candidate = ofVersion(deployment.version);
  const champion = ofVersion(deployment.previousVersion);
  return candidate.length > 0 && champion.length > 0 ? { candidate, champion } : undefined;
}

/**
 * Compares the KPIs observed since the deploy with the previous champion's recent level (Monitor's evidence,
 * or the window Monitor saw before the deploy) by the sequential test of {@link verifyRollout}.
 */
export async function verify(ctx: KaizenContext, event: VerifyEvent): Promise<Verification> {
  const { run, policy, observed, verification } = event;
  const check = verification.checks + 1;
  const { window, windows } = verificationWindow(policy, run.asOf, check);
  const rows = await queryObservations(ctx, run.modelId, window);
  const split = splitByVersion(rows, event.deployment);
  if (split) {
    // Candidate and champion served side by side: compare their traffic over the same period.
    const after = summarize(window, split.candidate).kpis;
    const { verdict, reasons, kpis } = verifyRollout({
      policy,
      before: summarize(window, split.champion).kpis,
      after,
      afterWindows: windows,
      check,
    });
    const how = `v${event.deployment.version}'s traffic compared with v${event.deployment.previousVersion}'s over the same period`;
    return { checks: check, verdict, reasons: [how, ...reasons], window, after, kpis };
  }
  const after = summarize(window, rows).kpis;
  const { verdict, reasons, kpis } = verifyRollout({
    policy,
    before: observed.kpis,
    evidence: observed.evidence,
    after,
    afterWindows: windows,
    check,
  });
  return { checks: check, verdict, reasons, window, after, kpis };
}
