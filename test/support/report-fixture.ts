import type { FleetReportData, ModelReportData } from '../../cli/report/data.ts';
import type { ModelStatus } from '../../cli/states.ts';

const DAY = 86_400_000;
const ORIGIN = Date.parse('2026-10-01T00:00:00.000Z');
const day = (n: number) => new Date(ORIGIN + n * DAY).toISOString();

/** A model's status as `kaizen status` reports it. */
export const STATUS: ModelStatus = {
  modelId: 'churn',
  state: 'blocked',
  needsAttention: true,
  why: 'data quality: merchant_risk: 110 of 2000 values out of range (5.5%; limit 5%)',
  next: 'fix the data or `kaizen run --model churn --force`',
  at: day(14),
  champion: { version: 2, since: day(6) },
  lastCheck: {
    checkedAt: day(14),
    source: 'sweep',
    action: 'blocked',
    summary: 'blocked (data-quality): ...',
  },
  lastRun: null,
};

/** Fourteen daily windows of a rate KPI, drift on three features, two versions, a rejection and a deploy's ROI. */
export function reportFixture(hostile = ''): ModelReportData {
  const features = ['tenure', 'monthly_charges', `support_calls${hostile}`];
  return {
    modelId: 'churn',
    description: `Churn model ${hostile}`,
    generatedAt: day(15),
    period: { start: day(0), end: day(14) },
    status: STATUS,
    kpis: [
      {
        metric: 'campaign_precision',
        direction: 'higher',
        floor: 0.2,
        ceiling: null,
        maxRelativeDrop: 0.15,
        confidence: 0.95,
      },
    ],
    points: Array.from({ length: 14 }, (_, i) => {
      const value = i < 8 ? 0.32 + (i % 3) * 0.01 : 0.22;
      return {
        metric: 'campaign_precision',
        start: day(i),
        end: day(i + 1),
        value,
        count: 400,
        lower: value - 0.045,
        upper: value + 0.045,
        ...(i >= 2 ? { baseline: 0.33, bandLower: 0.29, bandUpper: 0.37, dropLimit: 0.33 * 0.85 } : {}),
      };
    }),
    decisions: Array.from({ length: 14 }, (_, i) => ({
      asOf: day(i + 1),
      windowStart: day(i),
      outcome:
        i === 0
          ? 'promoted'
          : i === 6
            ? 'promoted'
            : i === 9
              ? 'rejected'
              : i === 13
                ? 'blocked'
                : 'no-action',
      summary:
        i === 9
          ? `v3 rejected by the gate: auc 0.70 vs 0.71 ${hostile}`
          : 'healthy: every rule within its threshold',
      executionName: `auto-churn-${i}`,
      championBefore: i === 0 ? null : i <= 6 ? 1 : 2,
      championAfter: i < 6 ? 1 : 2,
      breached: i >= 9 ? [`campaign_precision 0.22 is 33% below the baseline 0.33 ${hostile}`] : [],
    })),
    drift: Array.from({ length: 14 }, (_, i) =>
      features.map((feature, f) => ({
        feature,
        start: day(i),
        score: i >= 8 ? 0.1 + f * 0.15 : 0.01 * (f + 1),
        method: 'psi',
        drifted: i >= 8 && f > 0,
        threshold: 0.25,
      })),
    ).flat(),
    distributions: features.slice(1).map((feature) => ({
      feature,
      score: 0.4,
      method: 'psi',
      window: day(13).slice(0, 10),
      referenceRows: 2000,
      currentRows: 2000,
      bins: Array.from({ length: 10 }, (_, b) => [
        { feature, bin: `${b * 10}–${b * 10 + 10}`, order: b, side: 'reference' as const, share: 0.1 },
        {
          feature,
          bin: `${b * 10}–${b * 10 + 10}`,
          order: b,
          side: 'current' as const,
          share: b < 5 ? 0.04 : 0.16,
        },
      ]).flat(),
    })),
    distributionNote: null,
    versions: [
      { version: 1, label: 'v1', start: day(1), end: day(7), kind: 'served', detail: 'promoted by the gate' },
      {
        version: 2,
        label: 'v2',
        start: day(7),
        end: day(14),
        kind: 'served',
        detail: 'promoted: auc 0.74 vs 0.66',
      },
      { version: 2, label: 'v2', start: day(7), end: day(7), kind: 'promoted', detail: 'auc 0.74 vs 0.66' },
      {
        version: 3,
        label: 'v3',
        start: day(10),
        end: day(10),
        kind: 'rejected',
        detail: `auc 0.70 vs 0.71 ${hostile}`,
      },
    ],
    quality: [
      { start: day(12), passed: true, rows: 2000, failures: [] },
      {
        start: day(13),
        passed: false,
        rows: 2000,
        failures: [`merchant_risk: 110 of 2000 values out of range ${hostile}`],
      },
    ],
    roi: {
      modelId: 'churn',
      days: 28,
      deploys: [
        {
          version: 2,
          previousVersion: 1,
          executionName: 'auto-churn-6',
          since: day(7),
          after: { start: day(7), end: day(14) },
          before: { start: day(1), end: day(7) },
          kpis: [
            {
              metric: 'campaign_precision',
              kind: 'rate',
              direction: 'higher',
              method: 'newcombe-wilson',
              confidence: 0.95,
              before: { value: 0.25, count: 2400, rows: 6, window: { start: day(1), end: day(7) } },
              after: { value: 0.31, count: 2800, rows: 7, window: { start: day(7), end: day(14) } },
              uplift: 0.06,
              lower: 0.035,
              upper: 0.085,
              relative: 0.24,
              money: {
                currency: 'USD',
                perUnit: 12.5,
                exposure: 2800,
                value: 2100,
                lower: 1225,
                upper: 2975,
              },
            },
          ],
        },
      ],
      cost: {
        checksPerMonth: 720,
        runsPerMonth: 30,
        checks: 0.00027,
        runs: 0.005,
        total: 0.00527,
        byOutcome: { 'no-action': 28, promoted: 2 },
        basis: 'us-east-1 on-demand prices',
        counted: { checks: 168, checkDays: 7, runs: 30, runDays: 30 },
      },
    },
  };
}

export function fleetFixture(): FleetReportData {
  return {
    generatedAt: day(15),
    models: [
      STATUS,
      {
        ...STATUS,
        modelId: 'fraud',
        state: 'healthy',
        needsAttention: false,
        why: 'healthy',
        next: 'nothing to do',
      },
    ],
    counts: [
      { state: 'healthy', models: 1 },
      { state: 'blocked', models: 1 },
    ],
  };
}
