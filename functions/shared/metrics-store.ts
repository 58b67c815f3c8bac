import { BatchWriteCommand, type BatchWriteCommandOutput, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Observation } from '#domain/observations.ts';
import type { DriftSummary, KpiSummary, Observed, Window } from '#domain/run.ts';
import { ddb } from './aws.ts';
import { config } from './config.ts';
import { TransientError } from './errors.ts';

const BATCH = 25;
const MAX_ATTEMPTS = 8;

/** Sort key: timestamp first so a window is one range query; re-ingesting the same row overwrites it. */
export function observationKey(observation: Observation): string {
  const name = observation.type === 'kpi' ? observation.metric : observation.feature;
  return `${observation.timestamp}#${observation.type}#${name}`;
}

/** Writes observations in batches of 25, retrying unprocessed items with backoff. */
export async function putObservations(observations: readonly Observation[]): Promise<number> {
  const table = config().metricsTable;
  for (let offset = 0; offset < observations.length; offset += BATCH) {
    // Last write wins for duplicates inside one batch (DynamoDB rejects duplicate keys in a batch).
    const unique = new Map<string, Record<string, unknown>>();
    for (const observation of observations.slice(offset, offset + BATCH)) {
      const sk = observationKey(observation);
      unique.set(`${observation.modelId}|${sk}`, { pk: observation.modelId, sk, ...observation });
    }
    let requests = [...unique.values()].map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; requests.length > 0; attempt += 1) {
      if (attempt > MAX_ATTEMPTS) throw new TransientError(`${requests.length} observations left unprocessed`);
      const output: BatchWriteCommandOutput = await ddb().send(
        new BatchWriteCommand({ RequestItems: { [table]: requests } }),
      );
      requests = (output.UnprocessedItems?.[table] ?? []) as typeof requests;
      if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
    }
  }
  return observations.length;
}

/** Reads every observation of a model in `[start, end)`. */
export async function queryObservations(modelId: string, window: Window): Promise<Observation[]> {
  const items: Observation[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(
      new QueryCommand({
        TableName: config().metricsTable,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :start AND :end',
        ExpressionAttributeValues: { ':pk': modelId, ':start': window.start, ':end': window.end },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const { pk: _pk, sk: _sk, ...observation } = item;
      items.push(observation as Observation);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** Aggregates a window: KPIs as count-weighted means, drift as the freshest score per feature. */
export function summarize(window: Window, observations: readonly Observation[]): Observed {
  const kpis = new Map<string, { weighted: number; count: number; observations: number; plain: number }>();
  const drift = new Map<string, DriftSummary>();
  for (const observation of observations) {
    if (observation.type === 'kpi') {
      const entry = kpis.get(observation.metric) ?? { weighted: 0, count: 0, observations: 0, plain: 0 };
      entry.weighted += observation.value * observation.count;
      entry.plain += observation.value;
      entry.count += observation.count;
      entry.observations += 1;
      kpis.set(observation.metric, entry);
    } else {
      const previous = drift.get(observation.feature);
      if (!previous || previous.timestamp <= observation.timestamp) {
        const { feature, method, score, timestamp } = observation;
        drift.set(feature, { feature, method, score, timestamp });
      }
    }
  }
  const kpiSummaries: KpiSummary[] = [...kpis].map(([metric, entry]) => ({
    metric,
    // Rows with count 0 carry no weight; a window of only such rows falls back to the plain mean.
    value: entry.count > 0 ? entry.weighted / entry.count : entry.plain / entry.observations,
    count: entry.count,
    observations: entry.observations,
  }));
  return {
    window,
    kpis: kpiSummaries.sort((a, b) => a.metric.localeCompare(b.metric)),
    drift: [...drift.values()].sort((a, b) => a.feature.localeCompare(b.feature)),
  };
}
