import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { TransientError } from '#contracts/errors.ts';
import { METRICS_TTL_ATTRIBUTE } from '#contracts/tables.ts';
import type { DatasetArrival } from '#domain/arrivals.ts';
import { differences, type RowToStore, type StoreOutcome } from '#domain/ingest.ts';
import { type Observation, observationKey } from '#domain/observations.ts';
import type { Window } from '#domain/run.ts';
import type { QualityRecord } from '#domain/windows.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { backoff, isConditionFailure, queryItems } from './dynamo.ts';

const BATCH = 25;
const MAX_ATTEMPTS = 8;

/**
 * Writes observations (and data-quality records) in batches of 25, retrying unprocessed items with backoff.
 * `retention` gives a model's retention in seconds (its policy's `retention`): its rows then carry the TTL
 * attribute, so DynamoDB deletes them that long after their timestamp.
 */
export async function putObservations(
  ctx: KaizenContext,
  observations: readonly (Observation | QualityRecord | DatasetArrival)[],
  retention: (modelId: string) => number | undefined = () => undefined,
): Promise<number> {
  const table = ctx.config.metricsTable;
  for (let offset = 0; offset < observations.length; offset += BATCH) {
    // Last write wins for duplicates inside one batch (DynamoDB rejects duplicate keys in a batch).
    const unique = new Map<string, Record<string, unknown>>();
    for (const observation of observations.slice(offset, offset + BATCH)) {
      const sk = observationKey(observation);
      const seconds = retention(observation.modelId);
      const expiry =
        seconds === undefined
          ? {}
          : { [METRICS_TTL_ATTRIBUTE]: Math.floor(Date.parse(observation.timestamp) / 1000) + seconds };
      unique.set(`${observation.modelId}|${sk}`, { pk: observation.modelId, sk, ...observation, ...expiry });
    }
    let requests = [...unique.values()].map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; requests.length > 0; attempt += 1) {
      if (attempt > MAX_ATTEMPTS)
        throw new TransientError(`${requests.length} observations left unprocessed`);
      const output: BatchWriteCommandOutput = await ctx.ddb.send(
        new BatchWriteCommand({ RequestItems: { [table]: requests } }),
      );
      requests = (output.UnprocessedItems?.[table] ?? []) as typeof requests;
      if (requests.length > 0) await backoff(attempt);
    }
  }
  return observations.length;
}

/** Reads every observation (and data-quality record) of a model in `[start, end)`. */
export async function queryObservations(
  ctx: KaizenContext,
  modelId: string,
  window: Window,
): Promise<(Observation | QualityRecord)[]> {
  return (await queryMetricRows(ctx, modelId, window)).rows;
}

/** Reads a model's rows in `[start, end)`: its observations and quality records, and its datasets' arrivals apart. */
export async function queryMetricRows(
  ctx: KaizenContext,
  modelId: string,
  window: Window,
): Promise<{ rows: (Observation | QualityRecord)[]; arrivals: DatasetArrival[] }> {
  const items = (await queryItems(ctx, {
    TableName: ctx.config.metricsTable,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :start AND :end',
    ExpressionAttributeValues: { ':pk': modelId, ':start': window.start, ':end': window.end },
  })) as unknown as (Observation | QualityRecord | DatasetArrival)[];
  const rows: (Observation | QualityRecord)[] = [];
  const arrivals: DatasetArrival[] = [];
  for (const item of items) {
    if (item.type === 'arrival') arrivals.push(item);
    else rows.push(item);
  }
  return { rows, arrivals };
}

/** Attributes of a stored observation item that are not the observation's own fields. */
const ITEM_ATTRIBUTES = ['pk', 'sk', METRICS_TTL_ATTRIBUTE];
/** BatchGetItem takes at most 100 keys. */
const GET_BATCH = 100;
/** Conditional puts in flight at once. */
const PUT_CONCURRENCY = 16;

/**
 * Stores ingested observations idempotently: an observation is written only if nothing is stored under its key
 * (model, time, type, metric or feature, version), by a conditional put. A row identical to the stored one is
 * `unchanged` (a retry writes nothing, so the metrics stream sees nothing new); a row with other values is a
 * `conflict` naming the differing fields, and the stored observation is kept. Keys must be unique in `rows`.
 * One consistent BatchGetItem per 100 rows first, so that a retried file costs reads, not failed writes.
 */
export async function putObservationsOnce(
  ctx: KaizenContext,
  rows: readonly RowToStore[],
  retention: (modelId: string) => number | undefined = () => undefined,
): Promise<StoreOutcome[]> {
  const table = ctx.config.metricsTable;
  const outcomes: StoreOutcome[] = new Array(rows.length);
  const judge = (stored: Record<string, unknown>, observation: Observation): StoreOutcome => {
    const changed = differences(stored, observation, ITEM_ATTRIBUTES);
    if (changed.length === 0) return { status: 'unchanged' };
    const subject = observation.type === 'kpi' ? 'metric' : 'feature';
    return {
      status: 'conflict',
      reason:
        `conflicts with the stored observation of the same modelId, ${subject} and timestamp (${changed.join('; ')}); ` +
        'stored observations are never overwritten',
    };
  };
  for (let offset = 0; offset < rows.length; offset += GET_BATCH) {
    const slice = rows.slice(offset, offset + GET_BATCH);
    const keyOf = (row: RowToStore) => ({ pk: row.observation.modelId, sk: observationKey(row.observation) });
    const found = new Map<string, Record<string, unknown>>();
    let keys: Record<string, unknown>[] = slice.map(keyOf);
    for (let attempt = 1; keys.length > 0; attempt += 1) {
      if (attempt > MAX_ATTEMPTS) throw new TransientError(`${keys.length} observation keys left unread`);
      const output = await ctx.ddb.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of output.Responses?.[table] ?? []) found.set(`${item.pk}|${item.sk}`, item);
      keys = output.UnprocessedKeys?.[table]?.Keys ?? [];
      if (keys.length > 0) await backoff(attempt);
    }
    const absent: number[] = [];
    for (const [index, row] of slice.entries()) {
      const key = keyOf(row);
      const stored = found.get(`${key.pk}|${key.sk}`);
      if (stored) outcomes[offset + index] = judge(stored, row.observation);
      else absent.push(offset + index);
    }
    await inLanes(absent, PUT_CONCURRENCY, async (index) => {
      const { observation } = rows[index] as RowToStore;
      const key = { pk: observation.modelId, sk: observationKey(observation) };
      const seconds = retention(observation.modelId);
      const expiry =
        seconds === undefined
          ? {}
          : { [METRICS_TTL_ATTRIBUTE]: Math.floor(Date.parse(observation.timestamp) / 1000) + seconds };
      try {
        await ctx.ddb.send(
          new PutCommand({
            TableName: table,
            Item: { ...key, ...observation, ...expiry },
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
        outcomes[index] = { status: 'stored' };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // Another writer stored it since the read: judge against what is there now.
        const { Item } = await ctx.ddb.send(
          new GetCommand({ TableName: table, Key: key, ConsistentRead: true }),
        );
        outcomes[index] = Item
          ? judge(Item, observation)
          : { status: 'conflict', reason: 'was stored and deleted while being written; send it again' };
      }
    });
  }
  return outcomes;
}

/** Runs `work` on every item with at most `lanes` calls in flight. */
async function inLanes<T>(
  items: readonly T[],
  lanes: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      for (let index = next++; index < items.length; index = next++) await work(items[index] as T);
    }),
  );
}
