import type { ColumnSpec } from '#datasets/index.ts';
import { MODEL_STATES } from '#domain/attention.ts';
import { parseDuration } from '#domain/duration.ts';
import { wilsonInterval, zFor } from '#domain/kpi-stats.ts';
import { currentDatasetKey } from '#domain/monitoring.ts';
import type { Observation } from '#domain/observations.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import type { RunRecord } from '#domain/record.ts';
import { bucketWindows, type QualityRecord } from '#domain/windows.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { aliasHistory, getChampion } from '#stores/champion.ts';
import { readDatasetFromS3 } from '#stores/datasets.ts';
import { queryObservations } from '#stores/observations.ts';
import { getPolicy } from '#stores/policies.ts';
import { listRuns } from '#stores/runs.ts';
import { referenceKey } from '../../functions/monitor/datasets.ts';
import { gatherRoi } from '../roi.ts';
import { modelStates } from '../states.ts';
import type {
  Distribution,
  DistributionBin,
  FleetReportData,
  KpiPoint,
  ModelReportData,
  VersionSpan,
} from './data.ts';

/** Runs read for a report (newest first). */
const REPORT_RUNS = 1000;
/** Most windows a timeline shows (the period is cut to its newest). */
const MAX_WINDOWS = 2000;
/** Features whose distributions are drawn. */
const TOP_FEATURES = 3;
const BINS = 12;

/**
 * Everything one model's report shows, read from the stores: `days` of windows up to `until` (default: the later
 * of now and the newest run's as-of, so a replay of other days shows them).
 */
export async function gatherModelReport(
  ctx: KaizenContext,
  modelId: string,
  days: number,
  options: { until?: string; wallClock?: Date } = {},
): Promise<ModelReportData> {
  const wallClock = options.wallClock ?? new Date();
  const policy = await getPolicy(ctx, modelId); // an unknown model is bad input (exit 2)
  const runs = (await listRuns(ctx, modelId, REPORT_RUNS)).sort((a, b) => a.asOf.localeCompare(b.asOf));
  const states = await modelStates(ctx, wallClock);
  const status = states.find((s) => s.modelId === modelId);
  if (!status) throw new Error(`${modelId} has no status`);
  const seconds = parseDuration(policy.window) ?? 86_400;
  const newest = runs.at(-1)?.asOf ?? ''; // sorted by as-of above
  const endMs = options.until
    ? Date.parse(options.until)
    : Math.max(wallClock.getTime(), newest ? Date.parse(newest) : 0);
  const width = seconds * 1000;
  const end = Math.ceil(endMs / width) * width;
  const count = Math.min(MAX_WINDOWS, Math.ceil((days * 86_400_000) / width));
  const start = end - count * width;
  const period = { start: new Date(start).toISOString(), end: new Date(end).toISOString() };
  const observations = await queryObservations(ctx, modelId, period);
  const windows = bucketWindows(period.start, seconds, count, observations);
  const inPeriod = runs.filter((run) => run.asOf > period.start && run.asOf <= period.end);
  const runOfWindow = new Map(
    inPeriod.flatMap((run) => (run.observed ? [[run.observed.window.start, run] as const] : [])),
  );

  const points: KpiPoint[] = [];
  for (const rule of policy.kpis) {
    const z = zFor(rule.confidence);
    for (const window of windows) {
      const kpi = window.kpis.find((k) => k.metric === rule.metric);
      if (!kpi || kpi.count === 0) continue;
      const point: KpiPoint = {
        metric: rule.metric,
        start: window.window.start,
        end: window.window.end,
        value: kpi.value,
        count: kpi.count,
      };
      const rate = rule.kind === 'rate' || (rule.kind === undefined && kpi.value >= 0 && kpi.value <= 1);
      if (rate) Object.assign(point, wilsonInterval(kpi.value, kpi.count, rule.confidence));
      else if (kpi.variance !== undefined) {
        const half = z * Math.sqrt(kpi.variance / kpi.count);
        Object.assign(point, { lower: kpi.value - half, upper: kpi.value + half });
      }
      const baseline = runOfWindow.get(window.window.start)?.observed?.evidence?.[rule.metric]?.baseline;
      if (baseline) {
        // The band a window at this count is held to: the baseline ± z·√(per-sample variance / count + τ²).
        const half =
          z * Math.sqrt(baseline.unitVariance / kpi.count + baseline.between + baseline.meanVariance);
        point.baseline = baseline.mean;
        point.bandLower = baseline.mean - half;
        point.bandUpper = baseline.mean + half;
        if (rule.maxRelativeDrop !== undefined)
          point.dropLimit =
            baseline.mean *
            (rule.direction === 'higher' ? 1 - rule.maxRelativeDrop : 1 + rule.maxRelativeDrop);
      }
      points.push(point);
    }
  }

  const decisions = inPeriod.map((run) => ({
    asOf: run.asOf,
    windowStart: run.observed?.window.start ?? run.asOf,
    outcome: run.outcome,
    summary: run.summary,
    executionName: run.executionName,
    championBefore: run.championBefore,
    championAfter: run.championAfter,
    breached:
      run.decision && run.decision.action !== 'none'
        ? run.decision.reasons.filter((r) => r.breached).map((r) => r.message)
        : [],
  }));

  const bucketStart = (timestamp: string) =>
    new Date(Math.floor((Date.parse(timestamp) - start) / width) * width + start).toISOString();
  const drift = observations
    .filter((row): row is Extract<Observation, { type: 'drift' }> => row.type === 'drift')
    .map((row) => ({
      feature: row.feature,
      start: bucketStart(row.timestamp),
      score: row.score,
      method: row.method,
      drifted: row.drifted ?? null,
      threshold: row.threshold ?? null,
    }));
  const quality = observations
    .filter((row): row is QualityRecord => row.type === 'quality')
    .map((row) => ({
      start: bucketStart(row.timestamp),
      passed: row.passed,
      rows: row.rows,
      failures: row.failures,
    }));

  const { distributions, note } = await gatherDistributions(ctx, policy, drift);
  return {
    modelId,
    description: policy.description ?? null,
    generatedAt: wallClock.toISOString(),
    period,
    status,
    kpis: policy.kpis.map((rule) => ({
      metric: rule.metric,
      direction: rule.direction,
      floor: rule.floor ?? null,
      ceiling: rule.ceiling ?? null,
      maxRelativeDrop: rule.maxRelativeDrop ?? null,
      confidence: rule.confidence,
    })),
    points,
    decisions,
    drift,
    distributions,
    distributionNote: note,
    versions: await versionSpans(ctx, modelId, runs, period.end),
    quality,
    roi: await gatherRoi(ctx, policy, runs, 28, wallClock),
  };
}

/** Which version served when (from the alias's history) and the candidates' fates (from the runs). */
async function versionSpans(
  ctx: KaizenContext,
  modelId: string,
  runs: readonly RunRecord[],
  end: string,
): Promise<VersionSpan[]> {
  const moves = (await aliasHistory(ctx, modelId)).filter((m) => m.alias === 'champion').reverse();
  const spans: VersionSpan[] = [];
  moves.forEach((move, index) => {
    if (move.version === null) return;
    const from = move.since ?? move.at;
    const next = moves[index + 1];
    spans.push({
      version: move.version,
      label: `v${move.version}`,
      start: from,
      end: next ? (next.since ?? next.at) : end,
      kind: 'served',
      detail: move.reason,
    });
  });
  for (const run of runs) {
    const version = run.candidate?.version;
    if (version === undefined || !['promoted', 'rejected', 'rolled-back', 'failed'].includes(run.outcome))
      continue;
    const scores = run.evaluation
      ? `${run.evaluation.metric} ${run.evaluation.candidateScore.toFixed(4)} vs ${run.evaluation.championScore === null ? 'no champion' : run.evaluation.championScore.toFixed(4)}`
      : '';
    spans.push({
      version,
      label: `v${version}`,
      start: run.asOf,
      end: run.asOf,
      kind: run.outcome,
      detail: [scores, run.summary].filter(Boolean).join(': '),
    });
  }
  return spans;
}

/** Reference against current of the most drifted features in the newest window with drift (reads both datasets). */
async function gatherDistributions(
  ctx: KaizenContext,
  policy: ModelPolicy,
  drift: ModelReportData['drift'],
): Promise<{ distributions: Distribution[]; note: string | null }> {
  const monitoring = policy.monitoring;
  if (!monitoring)
    return {
      distributions: [],
      note: 'No monitoring in the policy: drift scores were ingested, no dataset to compare.',
    };
  const last = latest(drift.map((cell) => cell.start)) ?? '';
  if (!last) return { distributions: [], note: null };
  const top = drift
    .filter((cell) => cell.start === last)
    .sort((a, b) => Number(b.drifted) - Number(a.drifted) || b.score - a.score)
    .slice(0, TOP_FEATURES);
  const specs: ColumnSpec[] = top
    .flatMap((cell) => monitoring.features.filter((f) => f.name === cell.feature))
    .map(({ name, type }) => ({ name, type }));
  try {
    const champion = await getChampion(ctx, policy.modelId);
    const refKey = await referenceKey(ctx, policy.modelId, monitoring, champion);
    if (!refKey) return { distributions: [], note: 'No reference dataset yet (no champion).' };
    const [reference, current] = await Promise.all([
      readDatasetFromS3(ctx, refKey, specs),
      readDatasetFromS3(ctx, currentDatasetKey(monitoring.current, last), specs),
    ]);
    const distributions = top.map((cell) => ({
      feature: cell.feature,
      score: cell.score,
      method: cell.method,
      window: last.slice(0, 10),
      referenceRows: reference.rows,
      currentRows: current.rows,
      bins: histogram(cell.feature, reference.columns[cell.feature], current.columns[cell.feature]),
    }));
    return { distributions, note: null };
  } catch (error) {
    return { distributions: [], note: `Distributions not shown: ${(error as Error).message}` };
  }
}

type Column = Float64Array | (string | null)[] | undefined;

/**
 * Shares of rows per bin on both sides: numeric columns in equal-width bins over both sides' range, others by
 * category (the most frequent in the reference, the rest as "other").
 */
export function histogram(feature: string, reference: Column, current: Column): DistributionBin[] {
  if (!reference || !current) return [];
  const bins: DistributionBin[] = [];
  if (reference instanceof Float64Array && current instanceof Float64Array) {
    const finite = (values: Float64Array) => values.filter((v) => Number.isFinite(v));
    const ref = finite(reference);
    const cur = finite(current);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of [...ref, ...cur]) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi >= lo)) return [];
    const step = hi > lo ? (hi - lo) / BINS : 1;
    const label = (i: number) => `${Number((lo + i * step).toPrecision(3))}`;
    for (const [side, values] of [
      ['reference', ref],
      ['current', cur],
    ] as const) {
      const counts = new Array<number>(BINS).fill(0);
      for (const v of values) {
        const i = Math.min(BINS - 1, Math.floor((v - lo) / step));
        counts[i] = (counts[i] ?? 0) + 1;
      }
      counts.forEach((n, i) => {
        bins.push({ feature, bin: label(i), order: i, side, share: values.length ? n / values.length : 0 });
      });
    }
    return bins;
  }
  const count = (values: readonly (string | null)[]) => {
    const map = new Map<string, number>();
    for (const v of values) if (v !== null) map.set(v, (map.get(v) ?? 0) + 1);
    return map;
  };
  const ref = count(reference as (string | null)[]);
  const cur = count(current as (string | null)[]);
  const kept = [...ref.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, BINS)
    .map(([k]) => k);
  for (const [side, map] of [
    ['reference', ref],
    ['current', cur],
  ] as const) {
    const total = [...map.values()].reduce((s, n) => s + n, 0) || 1;
    kept.forEach((category, order) => {
      bins.push({ feature, bin: category, order, side, share: (map.get(category) ?? 0) / total });
    });
    const other = [...map.entries()].filter(([k]) => !kept.includes(k)).reduce((s, [, n]) => s + n, 0);
    if (other > 0) bins.push({ feature, bin: 'other', order: kept.length, side, share: other / total });
  }
  return bins;
}

/** The fleet report: every model's state and the count per state. */
export async function gatherFleetReport(
  ctx: KaizenContext,
  wallClock = new Date(),
): Promise<FleetReportData> {
  const models = await modelStates(ctx, wallClock);
  const counts = MODEL_STATES.map((state) => ({
    state,
    models: models.filter((m) => m.state === state).length,
  })).filter((c) => c.models > 0);
  return { generatedAt: wallClock.toISOString(), models, counts };
}

/** The latest of ISO timestamps (they sort as text). */
function latest(times: readonly string[]): string | undefined {
  return [...times].sort().at(-1);
}
