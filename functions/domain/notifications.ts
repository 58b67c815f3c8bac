/**
 * What the owners of a model are told on the notification topic: one human message per piece of news (a
 * blocked retrain, a retrain, an approval to give, a promotion, a rejection, a rollback, a failure) naming the
 * model, what happened, why and what to do next, within SNS's limits. Pure: run facts in, message out.
 */

import type { RunRecord } from './record.ts';
import type { BlockedBy } from './run.ts';

/** What the owners are told about (SNS, the stack's notification topic), one name per kind of news. */
export const NOTIFICATION_KINDS = [
  'blocked',
  'retrain',
  'approval',
  'promoted',
  'rejected',
  'rollback',
  'failure',
] as const;

export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Failures and rollbacks (as ever), plus the two that need a person: a blocked retrain and an approval. */
export const DEFAULT_NOTIFICATIONS: readonly NotificationKind[] = [
  'blocked',
  'approval',
  'rollback',
  'failure',
];

/** SNS takes subjects shorter than 100 characters, printable ASCII without line breaks. */
export const MAX_SUBJECT_CHARS = 99;

/**
 * Longest message kept (UTF-8 bytes). SNS allows 256 KB with the attributes, but the message also rides in the
 * workflow's state (256 KB with everything else); a person reads the first screen anyway.
 */
export const MAX_MESSAGE_BYTES = 8 * 1024;

/** One SNS message attribute, as `sns:Publish` takes it. */
export interface MessageAttribute {
  DataType: 'String' | 'String.Array';
  StringValue: string;
}

/** A message for the notification topic; `attributes` let subscribers filter (`model`, `kind`, `outcome`). */
export interface Notification {
  /** The main kind of this news (the subject's). */
  kind: NotificationKind;
  /** Every kind it belongs to, e.g. a retrain that was rolled back is `rollback` and `retrain`. */
  kinds: NotificationKind[];
  subject: string;
  message: string;
  attributes: Record<string, MessageAttribute>;
}

/** The kinds of news of a finished run, the main one first; none for runs that need nobody's attention. */
export function runKinds(record: RunRecord): NotificationKind[] {
  const retrained = record.decision?.action === 'retrain' && !record.dryRun ? (['retrain'] as const) : [];
  switch (record.outcome) {
    case 'failed':
      return ['failure', ...retrained];
    case 'rolled-back':
      return ['rollback', ...retrained];
    case 'promoted':
      return ['promoted', ...retrained];
    case 'rejected':
      return ['rejected', ...retrained];
    case 'blocked':
      return ['blocked'];
    case 'dry-run':
      return ['retrain'];
    case 'no-action':
    case 'watch':
    case 'unlocked':
      return [];
  }
}

const BLOCKED_BY: Record<BlockedBy, string> = {
  'data-quality': 'data quality',
  cooldown: 'cooldown',
  budget: 'retrain budget',
  lock: 'another run',
};

/** What a person does about a blocked retrain. */
function nextForBlocked(blockedBy: BlockedBy | undefined, model: string): string {
  const force = `kaizen run --model ${model} --force`;
  switch (blockedBy) {
    case 'data-quality':
      return `fix the data (the failed checks are above) and let the next run retrain, or \`${force}\` to retrain on it anyway.`;
    case 'cooldown':
      return `nothing if the new champion may settle; \`${force}\` retrains now.`;
    case 'budget':
      return `raise budget.maxRetrains in the policy (kaizen models put) or wait for the period to pass; \`${force}\` retrains now.`;
    case 'lock':
      return `wait for the run that holds the lock; if it is gone: \`kaizen unlock --model ${model}\`.`;
    default:
      return `\`kaizen history --model ${model}\` shows the decision; \`${force}\` retrains now.`;
  }
}

function version(v: number | null | undefined): string {
  return v === null || v === undefined ? 'none' : `v${v}`;
}

function bullets(lines: readonly string[]): string[] {
  return lines.filter((line) => line.length > 0).map((line) => `- ${line}`);
}

/** Why the run did what it did: the decision's breached reasons (and a block's own reason). */
function decisionReasons(record: RunRecord): string[] {
  const reasons = record.decision?.reasons ?? [];
  const blocking = record.decision?.blockedBy;
  // The block first: it is what a person must act on; then what made the policy want a retrain.
  return [
    ...reasons.filter((reason) => blocking !== undefined && reason.rule === blocking),
    ...reasons.filter((reason) => reason.breached),
  ].map((reason) => reason.message);
}

interface Story {
  subject: string;
  happened: string;
  why: string[];
  next: string;
}

function story(kind: NotificationKind, record: RunRecord): Story {
  const model = record.modelId;
  const candidate = record.candidate ? `v${record.candidate.version}` : 'the candidate';
  const trigger = decisionReasons(record);
  const history = `\`kaizen history --model ${model}\``;
  switch (kind) {
    case 'failure':
      return {
        subject: `${model} failed`,
        happened: `the improvement loop of ${model} failed; the champion is ${version(record.championAfter)}${record.championAfter === record.championBefore ? ' (unchanged)' : ` (was ${version(record.championBefore)})`}.`,
        why: [
          record.error ? `${record.error.name}: ${record.error.message}` : record.summary,
          ...trigger.map((reason) => `the run had started because ${reason}`),
        ],
        next: `fix the cause above, then \`kaizen run --model ${model}\` (add --force to retrain regardless of the policy); ${history} shows the run.`,
      };
    case 'rollback':
      return {
        subject: `${model} ${candidate} rolled back to ${version(record.championAfter)}`,
        happened: `${candidate} of ${model} was deployed, then rolled back: ${version(record.championAfter)} serves again.`,
        why: [
          ...(record.error ? [`${record.error.name}: ${record.error.message}`] : []),
          ...(record.verification?.reasons ?? []),
          ...trigger.map((reason) => `the retrain was for: ${reason}`),
        ],
        next: `look at the post-deploy KPIs in the model card (\`kaizen card --model ${model}${record.candidate ? ` ${record.candidate.version}` : ''}\`); the next breach retrains again; ${history} shows the run.`,
      };
    case 'promoted':
      return {
        subject: `${model} ${candidate} promoted`,
        happened: `${candidate} of ${model} was deployed and verified: it is the champion (was ${version(record.championBefore)}).`,
        why: [
          ...(record.evaluation?.reasons ?? []),
          ...(record.verification?.reasons ?? []),
          ...trigger.map((reason) => `the retrain was for: ${reason}`),
        ],
        next: `nothing; serving code that reads the champion alias picks it up (\`kaizen champion --model ${model}\`).`,
      };
    case 'rejected':
      return {
        subject: `${model} ${candidate} rejected`,
        happened: `${candidate} of ${model} was not promoted: ${record.summary}; ${version(record.championAfter)} stays the champion.`,
        why: [
          ...(record.evaluation?.reasons ?? []),
          ...trigger.map((reason) => `the retrain was for: ${reason}`),
        ],
        next: `check the training data and the holdout (\`kaizen card --model ${model}${record.candidate ? ` ${record.candidate.version}` : ''}\`); the next breach retrains again.`,
      };
    case 'blocked': {
      const by = record.decision?.blockedBy;
      return {
        subject: `${model} blocked${by ? ` (${BLOCKED_BY[by]})` : ''}`,
        happened: `${model} needs a retrain, but ${by ? `the ${BLOCKED_BY[by]} rule` : 'a rule'} blocked it: ${version(record.championAfter)} keeps serving.`,
        why: trigger,
        next: nextForBlocked(by, model),
      };
    }
    case 'retrain':
      // Only a dry run ends with retrain as its main news: a real retrain ends promoted, rejected, rolled back or failed.
      return {
        subject: `${model} needs a retrain (dry run)`,
        happened: `the policy calls for a retrain of ${model}; this was a dry run, so nothing was trained.`,
        why: trigger,
        next: `\`kaizen run --model ${model}\` retrains it.`,
      };
    case 'approval':
      throw new Error('approval news is built by approvalNotification');
  }
}

/** Printable ASCII on one line, at most `MAX_SUBJECT_CHARS`, cut with "...". */
export function snsSubject(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
  return ascii.length <= MAX_SUBJECT_CHARS ? ascii : `${ascii.slice(0, MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
}

const encoder = new TextEncoder();

/** The message cut at `MAX_MESSAGE_BYTES` of UTF-8 on a character boundary, saying it was cut. */
export function fitMessage(text: string): string {
  const encoded = encoder.encode(text);
  if (encoded.length <= MAX_MESSAGE_BYTES) return text;
  const marker = '\n... (cut; the run record has everything)';
  let end = MAX_MESSAGE_BYTES - encoder.encode(marker).length;
  // Back off continuation bytes (10xxxxxx) so the cut falls between characters.
  while (end > 0 && ((encoded[end] as number) & 0xc0) === 0x80) end--;
  return `${new TextDecoder().decode(encoded.subarray(0, end))}${marker}`;
}

function attributes(model: string, kinds: NotificationKind[], outcome: string): Notification['attributes'] {
  return {
    model: { DataType: 'String', StringValue: model },
    kind: { DataType: 'String.Array', StringValue: JSON.stringify(kinds) },
    outcome: { DataType: 'String', StringValue: outcome },
  };
}

function compose(
  kind: NotificationKind,
  kinds: NotificationKind[],
  model: string,
  outcome: string,
  parts: Story,
  footer: string[],
): Notification {
  const why = bullets(parts.why);
  const message = [
    // Every story names the model in its first sentence.
    parts.happened,
    '',
    ...(why.length > 0 ? ['Why:', ...why, ''] : []),
    `What to do: ${parts.next}`,
    '',
    ...footer,
  ].join('\n');
  return {
    kind,
    kinds,
    subject: snsSubject(`Kaizen Loop: ${parts.subject}`),
    message: fitMessage(message),
    attributes: attributes(model, kinds, outcome),
  };
}

/**
 * The message a finished run publishes, or undefined when none of its kinds is in `on` (the policy's
 * `notifications.on`; a run that failed before reading its policy uses the default).
 */
export function runNotification(
  record: RunRecord,
  on: readonly NotificationKind[] = DEFAULT_NOTIFICATIONS,
): Notification | undefined {
  const kinds = runKinds(record);
  const main = kinds[0];
  if (main === undefined || !kinds.some((kind) => on.includes(kind))) return undefined;
  return compose(main, kinds, record.modelId, record.outcome, story(main, record), [
    `Run: ${record.executionName} (as of ${record.asOf}, finished ${record.finishedAt})`,
    `Champion: ${version(record.championBefore)} before, ${version(record.championAfter)} after`,
  ]);
}

/** What the approval notification needs to know. */
export interface ApprovalNews {
  modelId: string;
  executionName: string;
  candidateVersion: number;
  championVersion: number | null;
  /** Why this promotion waits for a person. */
  reason: string;
  metric: string;
  candidateScore: number;
  championScore: number | null;
  /** The gate's reasons. */
  reasons: readonly string[];
  /** When an unanswered request counts as a rejection. */
  deadline: string;
}

/** The message a promotion waiting for approval publishes, or undefined when `approval` is not in `on`. */
export function approvalNotification(
  news: ApprovalNews,
  on: readonly NotificationKind[] = DEFAULT_NOTIFICATIONS,
): Notification | undefined {
  if (!on.includes('approval')) return undefined;
  const model = news.modelId;
  const champion = news.championScore === null ? 'no champion' : news.championScore.toFixed(4);
  return compose(
    'approval',
    ['approval'],
    model,
    'waiting',
    {
      subject: `${model} v${news.candidateVersion} waits for approval`,
      happened: `v${news.candidateVersion} of ${model} passed the gate (${news.metric} ${news.candidateScore.toFixed(4)} vs ${champion} for ${version(news.championVersion)}) and waits for a person: ${news.reason}.`,
      why: [...news.reasons],
      next:
        `Approve: kaizen approve --model ${model}. Reject: kaizen reject --model ${model} --reason <why>. ` +
        `Model card: kaizen card --model ${model} ${news.candidateVersion}. No answer by ${news.deadline} is a rejection.`,
    },
    [`Run: ${news.executionName}`],
  );
}
