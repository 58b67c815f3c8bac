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

/** A valid row on its way to the store, with its line. */
export interface RowToStore {
  line: number;
  observation: Observation;
}

/**
 * What the store did with one row: written; `unchanged` (an identical observation was already stored, so a
 * retry writes nothing); or refused because another value is stored under the same key (it is never overwritten).
 */
export type StoreOutcome =
  | { status: 'stored' }
  | { status: 'unchanged' }
  | { status: 'conflict'; reason: string };

export interface IngestResult {
  stored: number;
  /** Rejected rows in line order (at most `maxRejected` of them; `rejectedCount` counts them all). */
  rejected: RejectedRow[];
  rejectedCount: number;
  /** Rows identical to an earlier row of the same batch of the file: stored once. */
  duplicates: number;
  /** Rows identical to an observation already stored (a retry, a file sent twice): not written again. */
  unchanged: number;
  unknownMetrics: UnknownMetric[];
  /** The newest stored KPI or drift observation of each model (what a stream trigger reacts to). */
  newest: Observation[];
}

export interface IngestOptions {
  /** Rows validated and stored together (in-batch duplicates are found without a read). @default 500 */
  batchSize?: number;
  /** Rejected rows kept for the report; the rest are only counted. @default unlimited */
  maxRejected?: number;
}

/**
 * Validates every row and hands valid observations to `store` in batches; `store` says per row whether it was
 * written, was already stored identically, or conflicts with a stored value. Rejected, each with its line: bad
 * JSON or CSV, missing fields, non-finite or unstorable numbers, negative counts, bad timestamps, unknown models,
 * a row that conflicts with an earlier row of its batch (same model, metric or feature, and time, other values)
 * and a row that conflicts with a stored observation. Rows naming a KPI metric that the model's policy does not
 * use are stored and counted (a producer's typo would otherwise look like "insufficient data"). Memory is
 * bounded by the batch and the kept rejections, not by the number of rows.
 */
export async function ingestRows(
  rows: AsyncIterable<IngestRow>,
  policyOf: (modelId: string) => Promise<ModelPolicy | undefined>,
  store: (batch: readonly RowToStore[]) => Promise<readonly StoreOutcome[]>,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const batchSize = options.batchSize ?? 500;
  const maxRejected = options.maxRejected ?? Number.POSITIVE_INFINITY;
  const rejected: RejectedRow[] = [];
  let rejectedCount = 0;
  const reject = (line: number, reason: string) => {
    rejectedCount += 1;
    if (rejected.length < maxRejected) rejected.push({ line, reason });
  };
  const unknown = new Map<string, UnknownMetric>();
  const newest = new Map<string, Observation>();
  let seen = new Map<string, { line: number; json: string }>();
  let batch: RowToStore[] = [];
  let stored = 0;
  let duplicates = 0;
  let unchanged = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const outcomes = await store(batch);
    for (const [index, row] of batch.entries()) {
      const outcome = outcomes[index];
      if (outcome?.status === 'stored') {
        stored += 1;
        const { observation } = row;
        const latest = newest.get(observation.modelId);
        if (!latest || latest.timestamp < observation.timestamp) newest.set(observation.modelId, observation);
      } else if (outcome?.status === 'unchanged') unchanged += 1;
      else reject(row.line, outcome?.reason ?? 'the store gave no outcome for this row');
    }
    batch = [];
    seen = new Map();
  };
  for await (const row of rows) {
    if ('error' in row) {
      reject(row.line, row.error);
      continue;
    }
    const result = parseObservation(row.value);
    if (!result.ok) {
      reject(row.line, result.reason);
      continue;
    }
    const { observation } = result;
    const policy = await policyOf(observation.modelId);
    if (!policy) {
      reject(row.line, `modelId: model "${observation.modelId}" is not registered`);
      continue;
    }
    const key = `${observation.modelId}|${observationKey(observation)}`;
    const json = canonicalJson(observation);
    const earlier = seen.get(key);
    if (earlier) {
      if (earlier.json === json) duplicates += 1;
      else {
        const subject = observation.type === 'kpi' ? 'metric' : 'feature';
        reject(
          row.line,
          `conflicts with line ${earlier.line}: same modelId, ${subject} and timestamp, other values`,
        );
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
    batch.push({ line: row.line, observation });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  rejected.sort((a, b) => a.line - b.line);
  return {
    stored,
    rejected,
    rejectedCount,
    duplicates,
    unchanged,
    unknownMetrics: [...unknown.values()],
    newest: [...newest.values()],
  };
}

/** JSON with keys in sorted order: two observations with the same fields and values give the same text. */
export function canonicalJson(value: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/**
 * The fields of `sent` that differ from the stored item (table keys and the TTL attribute aside), as
 * `value: stored 0.3, sent 0.31`; empty when they hold the same observation.
 */
export function differences(
  stored: Record<string, unknown>,
  sent: Observation,
  ignore: readonly string[],
): string[] {
  const names = new Set(
    [...Object.keys(stored), ...Object.keys(sent)].filter((name) => !ignore.includes(name)),
  );
  const out: string[] = [];
  for (const name of [...names].sort()) {
    const before = stored[name];
    const after = (sent as Record<string, unknown>)[name];
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      out.push(
        `${name}: stored ${JSON.stringify(before) ?? 'nothing'}, sent ${JSON.stringify(after) ?? 'nothing'}`,
      );
    }
  }
  return out;
}
