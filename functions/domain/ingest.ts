import { type Observation, observationKey, parseObservation, type RejectedRow } from './observations.ts';
import type { ModelPolicy } from './policy.ts';

/** A decoded row with its 1-based line number in the file, or why it could not be decoded. */
export type IngestRow = { line: number; value: unknown } | { line: number; error: string };

/** Rows that name a KPI metric the model's policy does not use: stored, but they never inform a decision. */
export interface UnknownMetric {
  modelId: string;
  metric: string;
  rows: number;
}

export interface IngestResult {
  stored: number;
  rejected: RejectedRow[];
  /** Rows identical to an earlier row of the same file: stored once. */
  duplicates: number;
  unknownMetrics: UnknownMetric[];
}

/**
 * Validates every row and hands valid observations to `store` in batches. Rejected, each with its line: bad
 * JSON or CSV, missing fields, non-finite or unstorable numbers, negative counts, bad timestamps, unknown models,
 * and a row that conflicts with an earlier row of the file (same model, metric or feature, and time, other
 * values). A row identical to an earlier one is stored once. Rows naming a KPI metric that the model's policy
 * does not use are stored and counted (a producer's typo would otherwise look like "insufficient data").
 */
export async function ingestRows(
  rows: AsyncIterable<IngestRow>,
  policies: ReadonlyMap<string, ModelPolicy>,
  store: (batch: Observation[]) => Promise<unknown>,
  batchSize = 500,
): Promise<IngestResult> {
  const rejected: RejectedRow[] = [];
  const seen = new Map<string, { line: number; json: string }>();
  const unknown = new Map<string, UnknownMetric>();
  let batch: Observation[] = [];
  let stored = 0;
  let duplicates = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await store(batch);
    stored += batch.length;
    batch = [];
  };
  for await (const row of rows) {
    if ('error' in row) {
      rejected.push({ line: row.line, reason: row.error });
      continue;
    }
    const result = parseObservation(row.value);
    if (!result.ok) {
      rejected.push({ line: row.line, reason: result.reason });
      continue;
    }
    const { observation } = result;
    const policy = policies.get(observation.modelId);
    if (!policy) {
      rejected.push({ line: row.line, reason: `modelId: model "${observation.modelId}" is not registered` });
      continue;
    }
    const key = `${observation.modelId}|${observationKey(observation)}`;
    const json = JSON.stringify(observation);
    const earlier = seen.get(key);
    if (earlier) {
      if (earlier.json === json) duplicates += 1;
      else {
        const subject = observation.type === 'kpi' ? 'metric' : 'feature';
        rejected.push({
          line: row.line,
          reason: `conflicts with line ${earlier.line}: same modelId, ${subject} and timestamp, other values`,
        });
      }
      continue;
    }
    seen.set(key, { line: row.line, json });
    if (observation.type === 'kpi' && !policy.kpis.some((rule) => rule.metric === observation.metric)) {
      const id = `${observation.modelId}|${observation.metric}`;
      const entry = unknown.get(id) ?? { modelId: observation.modelId, metric: observation.metric, rows: 0 };
      entry.rows += 1;
      unknown.set(id, entry);
    }
    batch.push(observation);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return { stored, rejected, duplicates, unknownMetrics: [...unknown.values()] };
}
