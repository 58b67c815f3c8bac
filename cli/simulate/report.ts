/**
 * One simulation run as `kaizen simulate` and `npm run bench -- kpi` print it: the policy and the anchors over
 * the same labelled fleet, per kind, beside the goals, and the post-deploy verification figures.
 */
import type { ModelPolicy } from '#domain/policy.ts';
import { table } from '../render.ts';
import { DEGRADING, KINDS, type Series, type SeriesKind } from './series.ts';
import {
  type Detector,
  fleet,
  type KindResult,
  median,
  naiveDetector,
  oldRulesDetector,
  policyDetector,
  runSeries,
  simulateVerification,
  summarise,
  threeSigmaDetector,
  type VerificationResult,
} from './simulate.ts';

/** The goals of the KPI statistics (issue 11): a benchmark, not a test. */
export const GOALS = {
  falseRetrains: 0.05,
  detection: 0.95,
  abruptDelay: 3,
  slowDelay: 7,
  falseRollbacks: 0.05,
  rollbacks: 0.95,
} as const;

/** README volumes: the demo's campaign targets 400 customers a day, precision about 0.3 to 0.4. */
export const README_VOLUME = { volume: [360, 440] as const, level: [0.3, 0.4] as const };

export interface SimulationOptions {
  models: number;
  seed: number;
  anchors: boolean;
  kinds?: readonly SeriesKind[];
  /** Verification: deploys per scenario, daily volume and level; omitted: no verification figures. */
  verification?: { models: number; volume: readonly [number, number]; level: readonly [number, number] };
}

export interface SlowByNoise {
  band: string;
  models: number;
  medianDelay?: number;
}

export interface SimulationResult {
  models: number;
  seed: number;
  detectors: Record<string, KindResult[]>;
  /** Slow declines of the policy by the first KPI's per-window sampling noise (relative). */
  slowByNoise: SlowByNoise[];
  verification?: {
    rollout: ModelPolicy['rollout'];
    volume: readonly [number, number];
    level: readonly [number, number];
    healthy: VerificationResult;
    worse: VerificationResult;
    effect: number;
  };
}

/** Relative sampling noise of one window of a series' first KPI (a rate: sqrt((1 - p) / (p n))). */
function windowNoise(series: Series): number {
  return Math.sqrt((1 - series.level) / Math.max(series.level * series.volume, 1e-9));
}

/** Runs the policy (and the anchors) over a seeded fleet and, if asked, the verification scenarios. */
export function runSimulation(policy: ModelPolicy, options: SimulationOptions): SimulationResult {
  const kinds = options.kinds ?? KINDS;
  const series = fleet(policy.kpis, options.models, options.seed, kinds);
  const detectors: Record<string, Detector> = { policy: policyDetector(policy) };
  if (options.anchors) {
    detectors['old rules'] = oldRulesDetector(policy);
    detectors['3σ (NannyML-style)'] = threeSigmaDetector(policy.kpis);
    detectors['90% of reference'] = naiveDetector(policy.kpis);
  }
  const results: Record<string, KindResult[]> = {};
  let slowByNoise: SlowByNoise[] = [];
  for (const [name, detector] of Object.entries(detectors)) {
    const outcomes = series.map((s) => ({ series: s, outcome: runSeries(detector, s) }));
    results[name] = kinds.map((kind) =>
      summarise(
        kind,
        outcomes.filter((o) => o.outcome.kind === kind).map((o) => o.outcome),
      ),
    );
    if (name === 'policy') {
      const slow = outcomes.filter((o) => o.series.kind === 'slow-decline');
      const bands: [string, number, number][] = [
        ['< 2%', 0, 0.02],
        ['2-4%', 0.02, 0.04],
        ['> 4%', 0.04, Number.POSITIVE_INFINITY],
      ];
      slowByNoise = bands.map(([band, lo, hi]) => {
        const inBand = slow.filter((o) => windowNoise(o.series) >= lo && windowNoise(o.series) < hi);
        const delays = inBand.flatMap((o) => (o.outcome.delay === undefined ? [] : [o.outcome.delay]));
        const m = median(delays);
        return m === undefined
          ? { band, models: inBand.length }
          : { band, models: inBand.length, medianDelay: m };
      });
    }
  }
  const result: SimulationResult = {
    models: options.models,
    seed: options.seed,
    detectors: results,
    slowByNoise,
  };
  if (options.verification) {
    const { models, volume, level } = options.verification;
    const effect = -policy.rollout.maxRelativeDrop;
    result.verification = {
      rollout: policy.rollout,
      volume,
      level,
      effect,
      healthy: simulateVerification(policy, { volume, level, effect: 0 }, models, options.seed),
      worse: simulateVerification(policy, { volume, level, effect }, models, options.seed + 1),
    };
  }
  return result;
}

const percent = (value: number | undefined) => (value === undefined ? '-' : `${(value * 100).toFixed(1)}%`);
const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');

/** The goal line of one kind. */
function goalOf(kind: SeriesKind): string {
  if (!DEGRADING.has(kind)) return `false <= ${percent(GOALS.falseRetrains)}`;
  const delay = kind === 'slow-decline' ? GOALS.slowDelay : GOALS.abruptDelay;
  return `false <= ${percent(GOALS.falseRetrains)}, caught >= ${percent(GOALS.detection)}, median <= ${delay}`;
}

function meets(row: KindResult): boolean {
  if (row.falseRetrainRate > GOALS.falseRetrains) return false;
  if (!DEGRADING.has(row.kind)) return true;
  const delay = row.kind === 'slow-decline' ? GOALS.slowDelay : GOALS.abruptDelay;
  return (
    (row.detectionRate ?? 0) >= GOALS.detection && (row.medianDelay ?? Number.POSITIVE_INFINITY) <= delay
  );
}

/** The simulation as text: one table per detector (the policy first), the slow declines by noise, verification. */
export function formatSimulation(result: SimulationResult, title: string): string[] {
  const lines: string[] = [`${title}: ${result.models} models per kind, seed ${result.seed}`];
  for (const [name, rows] of Object.entries(result.detectors)) {
    if (rows.length === 0) continue;
    lines.push(
      '',
      name === 'policy' ? 'policy (count-aware statistics, baseline, CUSUM)' : `anchor: ${name}`,
    );
    lines.push(
      table(
        ['kind', 'false retrains', 'caught', 'median delay', 'goal', name === 'policy' ? 'verdict' : ''],
        rows.map((row) => [
          row.kind,
          percent(row.falseRetrainRate),
          row.detectionRate === undefined ? '-' : percent(row.detectionRate),
          row.medianDelay === undefined ? '-' : `${row.medianDelay} windows`,
          goalOf(row.kind),
          name === 'policy' ? mark(meets(row)) : '',
        ]),
      ),
    );
  }
  if (result.slowByNoise.some((band) => band.models > 0)) {
    lines.push(
      '',
      `slow declines by the window's sampling noise: ${result.slowByNoise
        .map(
          (b) =>
            `${b.band}: ${b.medianDelay === undefined ? '-' : `${b.medianDelay} windows`} (${b.models} models)`,
        )
        .join('; ')}`,
    );
  }
  const v = result.verification;
  if (v) {
    lines.push(
      '',
      `post-deploy verification (bakePeriod ${v.rollout.bakePeriod}, maxChecks ${v.rollout.maxChecks}, ` +
        `maxRelativeDrop ${v.rollout.maxRelativeDrop}; ${v.volume[0]}-${v.volume[1]} samples a day at ${v.level[0]}-${v.level[1]})`,
      table(
        ['deploy', 'rolled back', 'median verdict after', 'goal', 'verdict'],
        [
          [
            'healthy (unchanged)',
            percent(v.healthy.rollbackRate),
            `${v.healthy.medianDays.toFixed(v.healthy.medianDays < 1 ? 2 : 0)} days`,
            `<= ${percent(GOALS.falseRollbacks)}`,
            mark(v.healthy.rollbackRate <= GOALS.falseRollbacks),
          ],
          [
            `${percent(-v.effect)} worse`,
            percent(v.worse.rollbackRate),
            `${v.worse.medianDays.toFixed(v.worse.medianDays < 1 ? 2 : 0)} days`,
            `>= ${percent(GOALS.rollbacks)}`,
            mark(v.worse.rollbackRate >= GOALS.rollbacks),
          ],
        ],
      ),
    );
  }
  return lines;
}
