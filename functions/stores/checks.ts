import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { groupBySize } from '#domain/group-by-size.ts';
import type { ModelCheck } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { queryItems } from './dynamo.ts';

/** Compact form of a check, so a page of a hundred fits one small item. */
interface CompactCheck {
  m: string;
  a: ModelCheck['action'];
  s: string;
  asOf: string;
  st?: ModelCheck['start'];
  x?: string;
}

/** Room for one checks item: DynamoDB's item limit is 400 KB; this leaves space for keys and attribute names. */
export const MAX_CHECKS_ITEM_BYTES = 300 * 1024;
/** Longest summary kept per check (decision summaries are a sentence; a long one must not crowd the item). */
const MAX_SUMMARY = 1000;

/**
 * Records the decisions of one batch of checks (a sweep page or a stream batch) as one item in the runs
 * table under `CHECKS#<day>`, so recording every healthy decision costs a few write units per hundred models.
 * A batch whose item would pass the item size limit is split into parts (`#2`, `#3`, ...).
 */
export async function putChecks(
  ctx: KaizenContext,
  source: string,
  checkedAt: string,
  batchId: string,
  checks: ModelCheck[],
): Promise<void> {
  const items: CompactCheck[] = checks.map((check) => ({
    m: check.modelId,
    a: check.action,
    s: check.summary.slice(0, MAX_SUMMARY),
    asOf: check.asOf,
    ...(check.start ? { st: check.start } : {}),
    ...(check.execution ? { x: check.execution } : {}),
  }));
  const parts = splitBySize(items, MAX_CHECKS_ITEM_BYTES);
  for (const [index, part] of parts.entries()) {
    await ctx.ddb.send(
      new PutCommand({
        TableName: ctx.config.runsTable,
        Item: {
          pk: `CHECKS#${checkedAt.slice(0, 10)}`,
          sk: `${checkedAt}#${source}#${batchId}${index === 0 ? '' : `#${index + 1}`}`,
          source,
          checkedAt,
          checks: part,
        },
      }),
    );
  }
}

/** Groups items, in order, so that each group's JSON stays within `limit` bytes. */
export function splitBySize<T>(items: readonly T[], limit: number): T[][] {
  return groupBySize(items, (item) => Buffer.byteLength(JSON.stringify(item)) + 1, limit);
}

export type RecordedCheck = ModelCheck & { checkedAt: string; source: string };

/** A model's recorded checks on the given days (YYYY-MM-DD), newest first. */
export async function listChecks(
  ctx: KaizenContext,
  modelId: string,
  days: string[],
): Promise<RecordedCheck[]> {
  return (await readChecks(ctx, days)).filter((check) => check.modelId === modelId);
}

/** The newest recorded check of every model on the given days. */
export async function latestChecks(ctx: KaizenContext, days: string[]): Promise<Map<string, RecordedCheck>> {
  const latest = new Map<string, RecordedCheck>();
  for (const check of await readChecks(ctx, days))
    if (!latest.has(check.modelId)) latest.set(check.modelId, check);
  return latest;
}

/** Every check recorded on the given days, newest first. */
export async function readChecksOn(ctx: KaizenContext, days: string[]): Promise<RecordedCheck[]> {
  return readChecks(ctx, days);
}

async function readChecks(ctx: KaizenContext, days: string[]): Promise<RecordedCheck[]> {
  const found: RecordedCheck[] = [];
  for (const day of days) {
    const items = await queryItems(ctx, {
      TableName: ctx.config.runsTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `CHECKS#${day}` },
    });
    for (const item of items) {
      for (const check of (item.checks as CompactCheck[]) ?? []) {
        found.push({
          modelId: check.m,
          action: check.a,
          summary: check.s,
          asOf: check.asOf,
          checkedAt: item.checkedAt as string,
          source: item.source as string,
          ...(check.st ? { start: check.st } : {}),
          ...(check.x ? { execution: check.x } : {}),
        });
      }
    }
  }
  return found.sort((a, b) => b.checkedAt.localeCompare(a.checkedAt));
}
