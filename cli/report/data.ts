import type { ModelState } from '#domain/attention.ts';
import type { RoiReport } from '../roi.ts';
import type { ModelStatus } from '../states.ts';

/** One KPI window on the timeline: its value, count, interval, and the baseline band it was held to. */
export interface KpiPoint {
  metric: string;
  start: string;
  end: string;
  value: number;
  count: number;
  /** The window's interval at the rule's confidence (rates: Wilson; means with spreads: t); absent for values. */
  lower?: number;
  upper?: number;
  /** The baseline the loop held the window to (from the run of that window), and the band around it. */
  baseline?: number;
  bandLower?: number;
  bandUpper?: number;
  /** The relative-drop threshold: baseline × (1 ∓ maxRelativeDrop). */
  dropLimit?: number;
}

/** A run on the timeline: its window, outcome and whether a KPI rule breached. */
export interface DecisionPoint {
  asOf: string;
  windowStart: string;
  outcome: string;
  summary: string;
  executionName: string;
  championBefore: number | null;
  championAfter: number | null;
  breached: string[];
}

export interface DriftCell {
  feature: string;
  start: string;
  score: number;
  method: string;
  drifted: boolean | null;
  threshold: number | null;
}

/** One bin of a feature's reference and current distributions (shares of rows). */
export interface DistributionBin {
  feature: string;
  bin: string;
  order: number;
  side: 'reference' | 'current';
  share: number;
}

export interface Distribution {
  feature: string;
  score: number;
  method: string;
  window: string;
  referenceRows: number;
  currentRows: number;
  bins: DistributionBin[];
}

/** A version's serving period, or a candidate that never served (rejected, rolled back). */
export interface VersionSpan {
  version: number;
  label: string;
  start: string;
  end: string;
  /** `served`, or the event: `promoted`, `rolled-back`, `rejected`, `failed`. */
  kind: string;
  detail: string;
}

export interface QualityRow {
  start: string;
  passed: boolean;
  rows: number;
  failures: string[];
}

/** Everything one model's report shows, gathered from the stores (plain data; the builder escapes it). */
export interface ModelReportData {
  modelId: string;
  description: string | null;
  generatedAt: string;
  period: { start: string; end: string };
  status: ModelStatus;
  kpis: {
    metric: string;
    direction: 'higher' | 'lower';
    floor: number | null;
    ceiling: number | null;
    maxRelativeDrop: number | null;
    confidence: number;
  }[];
  points: KpiPoint[];
  decisions: DecisionPoint[];
  drift: DriftCell[];
  distributions: Distribution[];
  /** Why a distribution could not be shown (no monitoring policy, dataset missing). */
  distributionNote: string | null;
  versions: VersionSpan[];
  quality: QualityRow[];
  roi: RoiReport;
}

/** The fleet report: every model's state. */
export interface FleetReportData {
  generatedAt: string;
  models: ModelStatus[];
  counts: { state: ModelState; models: number }[];
}
