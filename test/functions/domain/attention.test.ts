import { describe, expect, it } from 'vitest';
import { analyze } from '#domain/analyze.ts';
import {
  type AttentionInput,
  attention,
  attentionLine,
  byUrgency,
  parseBlockedSummary,
} from '#domain/attention.ts';
import { parsePolicy } from '#domain/policy.ts';
import type { Decision, Observed } from '#domain/run.ts';

const NOW = '2026-11-21T12:00:00.000Z';
const champion = { version: 2, since: '2026-11-01T00:00:00.000Z' };

/** A real blocked decision from Analyze: drift breached, the window's data quality failed. */
function blockedByQuality(): Decision {
  const policy = parsePolicy({
    modelId: 'churn',
    drift: { maxScore: 0.25 },
    training: { dataset: 'd.csv', label: 'y', features: ['merchant_risk'] },
    evaluation: { holdout: 'h.csv' },
  });
  const observed: Observed = {
    window: { start: '2026-11-20T00:00:00.000Z', end: '2026-11-21T00:00:00.000Z' },
    kpis: [],
    drift: [{ feature: 'merchant_risk', method: 'psi', score: 0.4, timestamp: '2026-11-20T12:00:00.000Z' }],
    quality: {
      passed: false,
      rows: 2000,
      failures: ['merchant_risk: 110 of 2000 values out of range (5.5%; limit 5%)'],
      timestamp: '2026-11-20T12:00:00.000Z',
    },
  };
  return analyze({
    policy,
    asOf: observed.window.end,
    observed,
    champion: { ...champion, artifactKey: 'm.json' },
    force: false,
  });
}

const base: AttentionInput = { modelId: 'churn', now: NOW, champion };
const run = (outcome: string, extra: object = {}) =>
  ({
    outcome,
    summary: `${outcome} summary`,
    finishedAt: '2026-11-21T00:05:00.000Z',
    executionName: 'auto-churn-1',
    championAfter: 2,
    ...extra,
  }) as AttentionInput['lastRun'];
const check = (action: string, summary: string, extra: object = {}) =>
  ({ action, summary, checkedAt: '2026-11-21T01:00:00.000Z', ...extra }) as AttentionInput['lastCheck'];

describe('attention: state and next step', () => {
  const decision = blockedByQuality();

  it('Analyze blocks that window on data quality (the case the table builds on)', () => {
    expect(decision.action).toBe('blocked');
    expect(decision.blockedBy).toBe('data-quality');
  });

  it.each<[string, Partial<AttentionInput>, string, RegExp, RegExp]>([
    [
      'a healthy check',
      { lastCheck: check('none', 'healthy: every rule within its threshold') },
      'healthy',
      /every rule within/,
      /^nothing to do$/,
    ],
    [
      'a watch run',
      {
        lastRun: run('watch', {
          summary: 'watch: ctr 0.04 below floor 0.05 (1 of 2 breached windows needed)',
        }),
      },
      'watch',
      /^ctr 0\.04 below floor/,
      /a retrain starts if the breach persists/,
    ],
    [
      'a retrain check that started a loop',
      {
        lastCheck: check('retrain', 'retrain: ctr dropped', { start: 'started', execution: 'auto-churn-x' }),
      },
      'retrain-pending',
      /^ctr dropped$/,
      /loop was started \(auto-churn-x\); follow it with `kaizen history --model churn`/,
    ],
    [
      'a dry run that wanted to retrain',
      { lastRun: run('dry-run', { summary: 'dry run, retrain: no champion yet' }) },
      'retrain-pending',
      /^no champion yet$/,
      /`kaizen run --model churn` retrains/,
    ],
    [
      'a run blocked by data quality',
      { lastRun: run('blocked', { decision, summary: decision.summary }) },
      'blocked',
      /^data quality: merchant_risk: 110 of 2000 values out of range \(5\.5%; limit 5%\)$/,
      /^fix the data or `kaizen run --model churn --force`$/,
    ],
    [
      'a check blocked by data quality (summary only)',
      { lastCheck: check('blocked', decision.summary) },
      'blocked',
      /^data quality: merchant_risk: 110 of 2000 values out of range/,
      /^fix the data or `kaizen run --model churn --force`$/,
    ],
    [
      'a check blocked by the budget',
      {
        lastCheck: check(
          'blocked',
          'blocked (budget): retrain budget used: 3 of 3 per P7D; wanted to retrain: ctr',
        ),
      },
      'blocked',
      /^retrain budget used: 3 of 3 per P7D$/,
      /raise budget\.maxRetrains/,
    ],
    [
      'a check blocked by the cooldown',
      {
        lastCheck: check(
          'blocked',
          'blocked (cooldown): cooldown: v2 deployed 2026-11-20, settling until 2026-11-22; wanted to retrain: ctr',
        ),
      },
      'blocked',
      /^cooldown: v2 deployed/,
      /wait for the cooldown to end/,
    ],
    [
      'a failed run',
      {
        lastRun: run('failed', {
          error: { name: 'ObjectNotFoundError', message: 's3://b/train.csv does not exist' },
        }),
      },
      'failed',
      /^ObjectNotFoundError: s3:\/\/b\/train\.csv does not exist$/,
      /fix the cause/,
    ],
    [
      'a check that failed',
      { lastCheck: check('error', 'DatasetError: bad row 3') },
      'failed',
      /^the check failed: DatasetError: bad row 3$/,
      /fix the cause/,
    ],
    [
      'a rejected candidate',
      { lastRun: run('rejected', { summary: 'v3 rejected by the gate: auc 0.70 vs 0.71' }) },
      'rejected',
      /^v3 rejected by the gate/,
      /champion keeps serving/,
    ],
    [
      'a rollback',
      { lastRun: run('rolled-back', { summary: 'v3 rolled back to v2: ctr worse' }) },
      'rolled-back',
      /^v3 rolled back/,
      /^v2 serves again/,
    ],
    [
      'a promotion',
      { lastRun: run('promoted', { summary: 'v3 promoted and verified: ctr 0.05 -> 0.06' }) },
      'healthy',
      /^v3 promoted/,
      /^nothing to do$/,
    ],
    ['nothing recorded', {}, 'unchecked', /no run or check recorded/, /`kaizen run --model churn`/],
    [
      'a live lock',
      {
        lock: { owner: 'auto-churn-9', expiresAt: '2026-11-21T13:00:00.000Z' },
        lastCheck: check('none', 'healthy'),
      },
      'running',
      /auto-churn-9 until 2026-11-21T13:00/,
      /`kaizen unlock --model churn`/,
    ],
    [
      'a pending approval (before the lock it holds)',
      {
        approval: {
          executionName: 'e',
          requestedAt: '2026-11-21T02:00:00.000Z',
          deadline: '2026-11-23T02:00:00.000Z',
          candidate: 3,
        },
        lock: { owner: 'e', expiresAt: '2026-11-22T00:00:00.000Z' },
      },
      'awaiting-approval',
      /^v3 waits for approval since 2026-11-21T02:00/,
      /`kaizen approve --model churn` or `kaizen reject --model churn --reason <why>`/,
    ],
  ])('%s', (_case, input, state, why, next) => {
    const result = attention({ ...base, ...input });
    expect(result.state).toBe(state);
    expect(result.needsAttention).toBe(state !== 'healthy');
    expect(result.why).toMatch(why);
    expect(result.next).toMatch(next);
  });

  it('an expired lock is not a run in flight: the newest evidence decides', () => {
    const result = attention({
      ...base,
      lock: { owner: 'gone', expiresAt: '2026-11-21T11:00:00.000Z' },
      lastCheck: check('watch', 'watch: ctr low'),
    });
    expect(result.state).toBe('watch');
  });

  it('the newer of the last run and the last check decides', () => {
    const older = check('retrain', 'retrain: ctr', { checkedAt: '2026-11-20T23:00:00.000Z' });
    expect(attention({ ...base, lastCheck: older, lastRun: run('promoted') }).state).toBe('healthy');
    const newer = check('watch', 'watch: ctr');
    expect(attention({ ...base, lastCheck: newer, lastRun: run('failed') }).state).toBe('watch');
  });

  it('skips a lock released by hand and keeps long reasons to one readable line', () => {
    expect(attention({ ...base, lastRun: run('unlocked') }).state).toBe('unchecked');
    const long = attention({
      ...base,
      lastRun: run('failed', { error: { name: 'E', message: 'x '.repeat(500) } }),
    });
    expect(long.why.length).toBeLessThanOrEqual(240);
    expect(long.why.endsWith('…')).toBe(true);
  });

  it('prints the line the sweep and status show', () => {
    const line = attentionLine(attention({ ...base, lastCheck: check('blocked', decision.summary) }));
    expect(line).toBe(
      'churn: blocked, data quality: merchant_risk: 110 of 2000 values out of range (5.5%; limit 5%); fix the data or `kaizen run --model churn --force`',
    );
  });

  it('sorts the worst first', () => {
    const items = [
      attention({ ...base, modelId: 'a', lastCheck: check('none', 'healthy') }),
      attention({ ...base, modelId: 'b', lastRun: run('failed') }),
      attention({ ...base, modelId: 'c', lastCheck: check('watch', 'watch: x') }),
    ];
    expect(byUrgency(items).map((i) => `${i.modelId}:${i.state}`)).toEqual([
      'b:failed',
      'c:watch',
      'a:healthy',
    ]);
  });
});

describe('parseBlockedSummary', () => {
  it.each([
    ['blocked (lock): another run holds it; wanted to retrain: x', 'lock', 'another run holds it'],
    ['blocked: lock held by auto-x', undefined, 'lock held by auto-x'],
    ['blocked (budget): used 3 of 3', 'budget', 'used 3 of 3'],
  ])('%s', (summary, blockedBy, why) => {
    expect(parseBlockedSummary(summary)).toEqual(blockedBy ? { blockedBy, why } : { why });
  });
});
