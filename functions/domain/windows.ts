import { type Observation, rowVariance } from './observations.ts';
import type { DriftSummary, KpiSummary, Observed, QualitySummary, Window } from './run.ts';

/** A data-quality verdict stored next to the observations of its window. */
export interface QualityRecord extends QualitySummary {
  type: 'quality';
  modelId: string;
}

/** Aggregates a window: KPIs as count-weighted means, drift as the freshest score per feature. */
export function summarize(window: Window, observations: readonly (Observation | QualityRecord)[]): Observed {
  // Most windows of a lookback hold nothing: a fleet check summarizes dozens of them.
  if (observations.length === 0) return { window, kpis: [], drift: [] };
  const kpis = new Map<
    string,
    { weighted: number; count: number; observations: number; plain: number; squares: number; spread: boolean }
  >();
  const drift = new Map<string, DriftSummary>();
  let quality: QualitySummary | undefined;
  for (const observation of observations) {
    if (observation.type === 'quality') {
      if (!quality || quality.timestamp <= observation.timestamp) {
        const { passed, rows, failures, timestamp } = observation;
        quality = { passed, rows, failures, timestamp };
      }
    } else if (observation.type === 'kpi') {
      const entry = kpis.get(observation.metric) ?? {
        weighted: 0,
        count: 0,
        observations: 0,
        plain: 0,
        squares: 0,
        spread: true,
      };
      // Sum of squares of the row's samples, from its variance: (n - 1) s² + n x̄².
      const variance = rowVariance(observation);
      if (variance === undefined) entry.spread = false;
      else
        entry.squares +=
          (observation.count - 1) * variance + observation.count * observation.value * observation.value;
      entry.weighted += observation.value * observation.count;
      entry.plain += observation.value;
      entry.count += observation.count;
      entry.observations += 1;
      kpis.set(observation.metric, entry);
    } else {
      const previous = drift.get(observation.feature);
      if (!previous || previous.timestamp <= observation.timestamp) {
        const { feature, method, score, timestamp, drifted, threshold } = observation;
        drift.set(feature, {
          feature,
          method,
          score,
          timestamp,
          ...(drifted === undefined ? {} : { drifted }),
          ...(threshold === undefined ? {} : { threshold }),
        });
      }
    }
  }
  const kpiSummaries: KpiSummary[] = [...kpis].map(([metric, entry]) => {
    // Rows with count 0 carry no weight; a window of only such rows falls back to the plain mean.
    const value = entry.count > 0 ? entry.weighted / entry.count : entry.plain / entry.observations;
    const summary: KpiSummary = { metric, value, count: entry.count, observations: entry.observations };
    // The pooled per-sample variance of all the window's samples, when every row carried its spread.
    if (entry.spread && entry.count > 1)
      summary.variance = Math.max(0, (entry.squares - entry.count * value * value) / (entry.count - 1));
    return summary;
  });
  const observed: Observed = {
    window,
    kpis: kpiSummaries.sort((a, b) => a.metric.localeCompare(b.metric)),
    drift: [...drift.values()].sort((a, b) => a.feature.localeCompare(b.feature)),
  };
  if (quality) observed.quality = quality;
  return observed;
}

const NOTHING: readonly Observation[] = [];

/**
 * Splits `[start, start + count * seconds)` into `count` consecutive windows and summarizes each from
 * `observations` (which must lie in that range; others are ignored). Oldest first.
 */
export function bucketWindows(
  start: string,
  seconds: number,
  count: number,
  observations: readonly (Observation | QualityRecord)[],
): Observed[] {
  const origin = Date.parse(start);
  const width = seconds * 1000;
  // Most windows of a lookback hold nothing: a bucket is made for the ones that do.
  const buckets: ((Observation | QualityRecord)[] | undefined)[] = new Array(count);
  for (const observation of observations) {
    const index = Math.floor((Date.parse(observation.timestamp) - origin) / width);
    if (index < 0 || index >= count) continue;
    const bucket = buckets[index];
    if (bucket) bucket.push(observation);
    else buckets[index] = [observation];
  }
  const windows: Observed[] = [];
  // Each window ends where the next starts: one date formatted per boundary.
  let end = new Date(origin).toISOString();
  for (let index = 0; index < count; index += 1) {
    const windowStart = end;
    end = new Date(origin + (index + 1) * width).toISOString();
    windows.push(summarize({ start: windowStart, end }, buckets[index] ?? NOTHING));
  }
  return windows;
}
