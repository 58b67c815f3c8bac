import { durationSeconds, windowStarting } from '#domain/duration.ts';
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
 * Compares the KPIs observed since the deploy (a window as long as the monitoring window, starting at the
 * run's logical time) with the window the Monitor step saw before it.
 */
export async function verify(ctx: KaizenContext, event: VerifyEvent): Promise<Verification> {
  const { run, policy, observed, verification } = event;
  const check = verification.checks + 1;
  const window = windowStarting(run.asOf, durationSeconds(policy.window));
  const after = summarize(window, await queryObservations(ctx, run.modelId, window)).kpis;
  const { verdict, reasons } = verifyRollout({ policy, before: observed.kpis, after, check });
  return { checks: check, verdict, reasons, window, after };
}
