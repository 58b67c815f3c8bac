import type { KpiEvidence } from './kpi-evidence.ts';
import type { ModelPolicy } from './policy.ts';
import type { Observed } from './run.ts';

/**
 * Step Functions fails a run whose state passes 256 KB with `States.DataLimitExceeded`, which no Catch
 * handles (no run record, the lock held). The evidence Monitor hands to Analyze must stay well inside it.
 */
export const STATE_LIMIT_BYTES = 256 * 1024;
/** Budget of the state a policy may make Monitor carry: the rest is room for the later steps' results. */
export const STATE_BUDGET_BYTES = 160 * 1024;
/** Ingested drift scores may name features the policy does not list; the estimate allows this many. */
const UNLISTED_DRIFT_FEATURES = 20;

/** Windows Monitor reads for persistence: `[asOf - count * window, asOf)`, the current one included. */
export function recentWindowCount(policy: ModelPolicy): number {
  const { windows, clearAfter } = policy.persistence;
  return Math.max(windows, clearAfter) + Math.min(windows, clearAfter) - 1;
}

/**
 * Reference windows carried for KPI bands: none since baselines travel as compact summaries in
 * `observed.evidence` (see {@link kpiEvidenceBytes}); kept for the policy's size message.
 */
export function bandWindowCount(_policy: ModelPolicy): number {
  return 0;
}

/** The largest evidence Monitor attaches for one KPI: a weekly baseline, the detectors' state, the recent level. */
function fullEvidence(): KpiEvidence {
  const number = 0.123456789012345;
  const timestamp = '2026-11-20T00:00:00.000Z';
  const week = Array.from({ length: 7 }, () => number);
  return {
    baseline: {
      kind: 'rate',
      mean: number,
      unitVariance: number,
      between: number,
      meanVariance: number,
      count: 1234567890,
      windows: 100,
      excluded: 20,
      start: timestamp,
      end: timestamp,
      weekly: { means: week, variances: week },
    },
    reference: { windows: 100, needed: 100, judgedFrom: timestamp },
    tracker: { cusum: number, streak: 10, since: timestamp, windows: 100, shortfall: number },
    recent: {
      value: number,
      count: 1234567890,
      variance: number,
      unitVariance: number,
      kind: 'rate',
      windows: 100,
      start: timestamp,
      end: timestamp,
    },
  };
}

/** Bytes of KPI evidence (baselines, detector state, recent levels) the current window carries at most. */
export function kpiEvidenceBytes(policy: ModelPolicy): number {
  const one = fullEvidence();
  return Buffer.byteLength(JSON.stringify(Object.fromEntries(policy.kpis.map((rule) => [rule.metric, one]))));
}

/** A window as full as the policy allows, with realistic field widths. */
function fullWindow(policy: ModelPolicy): Observed {
  const features = [
    ...(policy.monitoring?.features.map((f) => f.name) ?? []),
    ...Object.keys(policy.drift?.features ?? {}),
    ...Array.from({ length: UNLISTED_DRIFT_FEATURES }, (_, i) => `unlisted_feature_${i}`),
  ];
  const timestamp = '2026-11-20T00:00:00.000Z';
  return {
    window: { start: timestamp, end: timestamp },
    kpis: policy.kpis.map((rule) => ({
      metric: rule.metric,
      value: 0.123456789012345,
      count: 1234567,
      observations: 1440,
    })),
    drift: features.map((feature) => ({
      feature,
      method: 'jensenshannon',
      score: 0.123456789012345,
      timestamp,
      drifted: true,
      threshold: 0.123456789012345,
    })),
    quality: {
      passed: false,
      rows: 1234567,
      failures: features.map((f) => `${f}: 12.3% of values missing (limit 5.0%)`),
      timestamp,
    },
  };
}

/**
 * Bytes of state Monitor would carry for this policy at most: the policy, every window of evidence and the KPI
 * evidence of the current window. Verify's result (`$.verification`, with one test per KPI) is much smaller.
 */
export function estimatedStateBytes(policy: ModelPolicy): number {
  const windows = recentWindowCount(policy) + bandWindowCount(policy);
  return (
    Buffer.byteLength(JSON.stringify(policy)) +
    windows * Buffer.byteLength(JSON.stringify(fullWindow(policy))) +
    kpiEvidenceBytes(policy)
  );
}
