import { describe, expect, it } from 'vitest';
import {
  approvalNotification,
  fitMessage,
  MAX_MESSAGE_BYTES,
  MAX_SUBJECT_CHARS,
  runKinds,
  runNotification,
  snsSubject,
} from '#domain/notifications.ts';
import { NOTIFICATION_KINDS, parsePolicy } from '#domain/policy.ts';
import type { RunRecord } from '#domain/record.ts';
import type { Decision, Reason } from '#domain/run.ts';

const window = { start: '2026-11-19T00:00:00.000Z', end: '2026-11-20T00:00:00.000Z' };
const drop: Reason = {
  rule: 'kpi-relative-drop',
  subject: 'campaign_precision',
  breached: true,
  window,
  message: 'campaign_precision 0.2175 is 36% below the baseline 0.3372',
};
const healthyDrift: Reason = {
  rule: 'drift-score',
  subject: 'tenure',
  breached: false,
  message: 'tenure psi 0.01 below 0.2',
};
const quality: Reason = {
  rule: 'data-quality',
  breached: false,
  message: 'data quality failed: 5.5% of merchant_risk out of range [0, 1]',
};

function decision(
  action: Decision['action'],
  reasons: Reason[],
  blockedBy?: Decision['blockedBy'],
): Decision {
  return {
    action,
    reasons,
    summary: `${action}: ...`,
    alert: { active: true, breachedWindows: 2, windows: 2 },
    ...(blockedBy ? { blockedBy } : {}),
  };
}

function run(overrides: Partial<RunRecord>): RunRecord {
  return {
    modelId: 'churn',
    executionName: 'auto-churn-20261120',
    startedAt: '2026-11-20T00:00:01.000Z',
    finishedAt: '2026-11-20T00:05:00.000Z',
    asOf: '2026-11-20T00:00:00.000Z',
    outcome: 'no-action',
    summary: 'healthy: every rule within its threshold',
    championBefore: 2,
    championAfter: 2,
    force: false,
    dryRun: false,
    ...overrides,
  };
}

const candidate = {
  version: 3,
  artifactKey: 'models/churn/v3/model.json',
  parentVersion: 2,
  dataset: { key: 'datasets/churn/train.csv', sha256: 'a'.repeat(64) },
};
const evaluation = {
  promote: false,
  metric: 'auc' as const,
  candidateScore: 0.58,
  championScore: 0.61,
  holdout: { key: 'datasets/churn/holdout.csv', sha256: 'b'.repeat(64), rows: 1000 },
  reasons: ['candidate auc 0.5800 misses the absolute floor 0.6000'],
};

const ALL = NOTIFICATION_KINDS;

describe('runNotification: one human message per piece of news', () => {
  it.each([
    {
      case: 'a retrain blocked by data quality',
      record: run({
        outcome: 'blocked',
        decision: decision('blocked', [drop, healthyDrift, quality], 'data-quality'),
      }),
      kinds: ['blocked'],
      subject: 'Kaizen Loop: churn blocked (data quality)',
      says: [
        /^churn needs a retrain, but the data quality rule blocked it: v2 keeps serving\./,
        // The block first, then what made the policy want a retrain; healthy reasons are left out.
        /Why:\n- data quality failed: 5\.5% of merchant_risk out of range \[0, 1\]\n- campaign_precision 0\.2175 is 36% below/,
        /What to do: fix the data .* `kaizen run --model churn --force`/,
      ],
      not: [/tenure psi/],
    },
    {
      case: 'a retrain blocked by another run',
      record: run({ outcome: 'blocked', decision: decision('blocked', [drop], 'lock') }),
      kinds: ['blocked'],
      subject: 'Kaizen Loop: churn blocked (another run)',
      says: [/`kaizen unlock --model churn`/],
      not: [],
    },
    {
      case: 'a retrain blocked by the budget',
      record: run({ outcome: 'blocked', decision: decision('blocked', [drop], 'budget') }),
      kinds: ['blocked'],
      subject: 'Kaizen Loop: churn blocked (retrain budget)',
      says: [/raise budget\.maxRetrains/],
      not: [],
    },
    {
      case: 'a verified promotion after a retrain',
      record: run({
        outcome: 'promoted',
        championAfter: 3,
        decision: decision('retrain', [drop]),
        candidate,
        evaluation: { ...evaluation, promote: true, reasons: ['candidate auc 0.6850 beats 0.5630'] },
        verification: { checks: 2, verdict: 'pass', reasons: ['campaign_precision held'] },
      }),
      kinds: ['promoted', 'retrain'],
      subject: 'Kaizen Loop: churn v3 promoted',
      says: [/it is the champion \(was v2\)/, /- the retrain was for: campaign_precision 0\.2175/],
      not: [],
    },
    {
      case: 'a rejection by the gate',
      record: run({
        outcome: 'rejected',
        summary: 'v3 rejected by the gate: candidate auc 0.5800 misses the absolute floor 0.6000',
        decision: decision('retrain', [drop]),
        candidate,
        evaluation,
      }),
      kinds: ['rejected', 'retrain'],
      subject: 'Kaizen Loop: churn v3 rejected',
      says: [/- candidate auc 0\.5800 misses the absolute floor 0\.6000/, /kaizen card --model churn 3/],
      not: [],
    },
    {
      case: 'a rollback after a worse deploy',
      record: run({
        outcome: 'rolled-back',
        decision: decision('retrain', [drop]),
        candidate,
        verification: {
          checks: 3,
          verdict: 'fail',
          reasons: ['campaign_precision 0.26 -> 0.12 (-54%): worse than before with 95% confidence'],
        },
        rollback: { restoredVersion: 2, removedVersion: 3, at: '2026-11-21T00:00:00.000Z' },
      }),
      kinds: ['rollback', 'retrain'],
      subject: 'Kaizen Loop: churn v3 rolled back to v2',
      says: [
        /v2 serves again/,
        /- campaign_precision 0\.26 -> 0\.12 \(-54%\)/,
        /kaizen card --model churn 3/,
      ],
      not: [],
    },
    {
      case: 'a failed run',
      record: run({
        outcome: 'failed',
        error: { name: 'DataError', message: 'datasets/churn/missing.csv does not exist' },
      }),
      kinds: ['failure'],
      subject: 'Kaizen Loop: churn failed',
      says: [
        /the champion is v2 \(unchanged\)/,
        /- DataError: datasets\/churn\/missing\.csv does not exist/,
        /`kaizen run --model churn`/,
      ],
      not: [],
    },
    {
      case: 'a dry run that calls for a retrain',
      record: run({ outcome: 'dry-run', dryRun: true, decision: decision('retrain', [drop]) }),
      kinds: ['retrain'],
      subject: 'Kaizen Loop: churn needs a retrain (dry run)',
      says: [/nothing was trained/, /`kaizen run --model churn` retrains it/],
      not: [],
    },
  ])('$case', ({ record, kinds, subject, says, not }) => {
    expect(runKinds(record)).toEqual(kinds);
    const notification = runNotification(record, ALL);
    expect(notification).toMatchObject({ kind: kinds[0], kinds, subject });
    for (const pattern of says) expect(notification?.message).toMatch(pattern);
    for (const pattern of not) expect(notification?.message).not.toMatch(pattern);
    expect(notification?.message).toContain('Run: auto-churn-20261120');
    expect(notification?.attributes).toEqual({
      model: { DataType: 'String', StringValue: 'churn' },
      kind: { DataType: 'String.Array', StringValue: JSON.stringify(kinds) },
      outcome: { DataType: 'String', StringValue: record.outcome },
    });
  });

  it.each([
    { outcome: 'no-action' as const },
    { outcome: 'watch' as const },
    { outcome: 'unlocked' as const },
  ])('says nothing of a $outcome run', ({ outcome }) => {
    expect(runNotification(run({ outcome }), ALL)).toBeUndefined();
  });

  it.each([
    // Today's behaviour (failures and rollbacks) plus the two that need a person.
    { outcome: 'failed' as const, published: true },
    { outcome: 'rolled-back' as const, published: true },
    { outcome: 'blocked' as const, published: true },
    { outcome: 'promoted' as const, published: false },
    { outcome: 'rejected' as const, published: false },
    { outcome: 'dry-run' as const, published: false },
  ])('by default publishes a $outcome run: $published', ({ outcome, published }) => {
    const record = run({ outcome, decision: decision('retrain', [drop]) });
    expect(runNotification(record) !== undefined).toBe(published);
  });

  it('publishes a run when any of its kinds is asked for, and nothing when none is', () => {
    const record = run({ outcome: 'promoted', decision: decision('retrain', [drop]), candidate });
    expect(runNotification(record, ['retrain'])?.kind).toBe('promoted');
    expect(runNotification(record, ['failure', 'rollback'])).toBeUndefined();
    expect(runNotification(record, [])).toBeUndefined();
  });
});

describe('approvalNotification', () => {
  const news = {
    modelId: 'churn',
    executionName: 'manual-churn-1',
    candidateVersion: 3,
    championVersion: 2,
    reason: 'the policy requires a person to approve every promotion',
    metric: 'auc',
    candidateScore: 0.685,
    championScore: 0.563,
    reasons: ['candidate auc 0.6850 beats 0.5630 by more than 0.01'],
    deadline: '2026-11-22T00:00:00.000Z',
  };

  it('names the candidate, the scores, why it waits and how to answer', () => {
    const notification = approvalNotification(news);
    expect(notification).toMatchObject({
      kind: 'approval',
      subject: 'Kaizen Loop: churn v3 waits for approval',
      attributes: { kind: { DataType: 'String.Array', StringValue: '["approval"]' } },
    });
    expect(notification?.message).toMatch(/v3 of churn passed the gate \(auc 0\.6850 vs 0\.5630 for v2\)/);
    expect(notification?.message).toContain('Approve: kaizen approve --model churn.');
    expect(notification?.message).toContain('No answer by 2026-11-22T00:00:00.000Z is a rejection.');
  });

  it('is left out when the policy does not ask for approvals', () => {
    expect(approvalNotification(news, ['failure'])).toBeUndefined();
  });
});

describe('SNS limits', () => {
  it.each([
    ['Kaizen Loop: churn failed', 'Kaizen Loop: churn failed'],
    ['Kaizen Loop: café\nnew line\tand tab', 'Kaizen Loop: cafe new line and tab'],
    ['x'.repeat(150), `${'x'.repeat(MAX_SUBJECT_CHARS - 3)}...`],
  ])('subject %j becomes %j', (text, subject) => {
    expect(snsSubject(text)).toBe(subject);
    expect(snsSubject(text).length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
  });

  it('cuts a long message on a character boundary and says so', () => {
    const long = 'é'.repeat(MAX_MESSAGE_BYTES);
    const fitted = fitMessage(long);
    expect(new TextEncoder().encode(fitted).length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(fitted).toMatch(/é\n\.\.\. \(cut; the run record has everything\)$/);
    expect(fitMessage('short')).toBe('short');
  });

  it('keeps a run with thousands of reasons within the limits', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({
      ...drop,
      message: `reason ${i} ${'z'.repeat(50)}`,
    }));
    const notification = runNotification(
      run({ outcome: 'blocked', decision: decision('blocked', many, 'cooldown') }),
      ALL,
    );
    expect(new TextEncoder().encode(notification?.message).length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  });
});

describe('the policy section', () => {
  const base = {
    modelId: 'churn',
    training: { dataset: 'datasets/churn/train.csv', label: 'churned', features: ['tenure'] },
    evaluation: { holdout: 'datasets/churn/holdout.csv' },
    kpis: [{ metric: 'campaign_precision', maxRelativeDrop: 0.15 }],
  };

  it('defaults to blocked, approval, rollback and failure', () => {
    expect(parsePolicy(base).notifications).toEqual({ on: ['blocked', 'approval', 'rollback', 'failure'] });
    expect(parsePolicy({ ...base, notifications: {} }).notifications.on).toHaveLength(4);
  });

  it('names an unknown kind, where it is, and the kinds there are', () => {
    expect(() =>
      parsePolicy({ ...base, notifications: { on: ['blocked', 'retrains'] } }, 'churn.json'),
    ).toThrow(
      'notifications.on[1]: unknown notification "retrains": use blocked, retrain, approval, promoted, rejected, rollback, failure',
    );
  });
});
