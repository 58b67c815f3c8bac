import { durationSeconds } from './duration.ts';
import { higherIsBetter, type MetricName } from './metrics.ts';
import type { Notification } from './notifications.ts';
import type { ModelPolicy } from './policy.ts';
import * as z from './zod.ts';

/** What the loop asks a person when a promotion needs approval (carried in `$.evaluation.approval`). */
export interface ApprovalRequest {
  /** Why this promotion waits for a person. */
  reason: string;
  /** For the approval Task's TimeoutSecondsPath and HeartbeatSecondsPath. */
  timeoutSeconds: number;
  heartbeatSeconds: number;
  /** What the owners are told before the run waits (absent when the policy's notifications leave approvals out). */
  notification?: Notification;
}

/**
 * Whether a promotion the gate passed must wait for a person: always with `required`, or when the gain over
 * the champion is above `whenGainAbove` (a first champion has no gain to judge: it waits only if required).
 */
export function approvalRequest(
  rule: ModelPolicy['approval'],
  metric: MetricName,
  candidateScore: number,
  championScore: number | null,
): ApprovalRequest | undefined {
  if (!rule) return undefined;
  const timeoutSeconds = durationSeconds(rule.timeout);
  const request = (reason: string) => ({ reason, timeoutSeconds, heartbeatSeconds: timeoutSeconds - 1 });
  if (rule.required) return request('the policy requires a person to approve every promotion');
  if (rule.whenGainAbove === undefined || championScore === null) return undefined;
  const gain = higherIsBetter(metric) ? candidateScore - championScore : championScore - candidateScore;
  if (gain <= rule.whenGainAbove) return undefined;
  return request(
    `the candidate beats the champion by ${gain.toFixed(4)} ${metric}, more than the ${rule.whenGainAbove} ` +
      'the policy trusts without a person (a gain this large is often a leak or a broken holdout)',
  );
}

/** A person's answer, as `kaizen approve` / `kaizen reject` (or any SendTaskSuccess) sends it. */
export const ApprovalAnswerSchema = z.strictObject({
  approved: z.boolean(),
  /** Who answered. */
  by: z.string().check(z.minLength(1), z.maxLength(200)),
  at: z.optional(z.string().check(z.maxLength(40))),
  comment: z.optional(z.string().check(z.maxLength(2000))),
});

/** How the approval ended: the answer, or a timeout (no answer in time is a rejection). */
export type ApprovalOutcome = z.infer<typeof ApprovalAnswerSchema> | { approved: false; timedOut: true };
