import type { DynamoDBStreamEvent } from 'aws-lambda';
import { stepHandler } from '#runtime/handler.ts';
import { publishMetric } from '#runtime/metrics.ts';
import { triggerFromRecords } from './trigger.ts';

export const handler = stepHandler('trigger', async (ctx, event: DynamoDBStreamEvent) => {
  const batchId = event.Records[0]?.eventID ?? 'empty';
  const checks = await triggerFromRecords(ctx, event.Records, batchId);
  const source = { source: 'trigger' };
  const count = (test: (check: (typeof checks)[number]) => boolean) => checks.filter(test).length;
  publishMetric('ModelsChecked', checks.length, source);
  publishMetric(
    'LoopsStarted',
    count((check) => check.start === 'started'),
    source,
  );
  publishMetric(
    'ModelsBlocked',
    count((check) => check.action === 'blocked'),
    source,
  );
  publishMetric(
    'CheckErrors',
    count((check) => check.action === 'error'),
    source,
  );
  return { checked: checks.length };
});
