import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RunRecord } from '#domain/record.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { batchGetRegistry, queryItems, writtenUnlessCondition } from './dynamo.ts';
import { REGISTRY_KEYS } from './keys.ts';

/** What the fleet's status reads of a model's newest run (see {@link getLatestRuns}). */
export type LatestRun = Pick<
  RunRecord,
  | 'executionName'
  | 'startedAt'
  | 'finishedAt'
  | 'asOf'
  | 'outcome'
  | 'summary'
  | 'championAfter'
  | 'decision'
  | 'error'
>;

/** Where a run's record sorts among the model's records (its sort key after `RUN#`). */
function runOrder(record: Pick<RunRecord, 'startedAt' | 'executionName'>): string {
  return `${record.startedAt}#${record.executionName}`;
}

/**
 * Stores a run record; a retried Record step overwrites the same item (idempotent). A loop run (not a lock released
 * by hand) also becomes the model's latest run ({@link getLatestRuns}) unless a newer one is already there.
 */
export async function putRun(ctx: KaizenContext, record: RunRecord): Promise<void> {
  await ctx.ddb.send(
    new PutCommand({
      TableName: ctx.config.runsTable,
      Item: { pk: record.modelId, sk: `RUN#${runOrder(record)}`, ...record },
    }),
  );
  if (record.outcome !== 'unlocked') await putLatestRun(ctx, record);
}

/**
 * The model's registry item `LASTRUN`: the newest loop run, so the status of a fleet reads every model's in one
 * batched read instead of a query per model. Conditional on being newer, so a retried or late Record of an older
 * run leaves a newer one in place.
 */
async function putLatestRun(ctx: KaizenContext, record: RunRecord): Promise<void> {
  const { executionName, startedAt, finishedAt, asOf, outcome, summary, championAfter, decision, error } =
    record;
  const run: LatestRun = { executionName, startedAt, finishedAt, asOf, outcome, summary, championAfter };
  if (decision) run.decision = decision;
  if (error) run.error = error;
  await writtenUnlessCondition(
    ctx.ddb.send(
      new PutCommand({
        TableName: ctx.config.registryTable,
        Item: { pk: record.modelId, sk: REGISTRY_KEYS.latestRun, order: runOrder(record), run },
        ConditionExpression: 'attribute_not_exists(#order) OR #order <= :order',
        ExpressionAttributeNames: { '#order': 'order' },
        ExpressionAttributeValues: { ':order': runOrder(record) },
      }),
    ),
  );
}

/**
 * Marks a model registered now as having no run yet (a `LASTRUN` item without a run), so the fleet's status knows it
 * without reading its records. Left alone if a run was recorded meanwhile.
 */
export async function markNoRunYet(ctx: KaizenContext, modelId: string): Promise<void> {
  await writtenUnlessCondition(
    ctx.ddb.send(
      new PutCommand({
        TableName: ctx.config.registryTable,
        Item: { pk: modelId, sk: REGISTRY_KEYS.latestRun },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

/**
 * The newest loop run of each model (one batched read): `null` for a model that has not run. A model absent from
 * the map registered before latest runs were kept: read its records ({@link listRuns}).
 */
export async function getLatestRuns(
  ctx: KaizenContext,
  modelIds: readonly string[],
): Promise<Map<string, LatestRun | null>> {
  const items = await batchGetRegistry(ctx, modelIds, REGISTRY_KEYS.latestRun, { what: 'latest run' });
  return new Map(items.map((item) => [item.pk as string, (item.run as LatestRun | undefined) ?? null]));
}

/** A model's run records, newest first. */
export async function listRuns(ctx: KaizenContext, modelId: string, limit = 50): Promise<RunRecord[]> {
  const runs = await queryItems(
    ctx,
    {
      TableName: ctx.config.runsTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': modelId, ':prefix': 'RUN#' },
      ScanIndexForward: false,
    },
    limit,
  );
  return runs as unknown as RunRecord[];
}
