import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { logger, stepHandler } from '#runtime/handler.ts';
import { publishMetric } from '#runtime/metrics.ts';
import { type MetricDataReader, pullMetrics } from './pull.ts';

let client: CloudWatchClient | undefined;

/** GetMetricData through the SDK (the client built at first use, in the function's region). */
const reader: MetricDataReader = {
  getMetricData(input) {
    client ??= new CloudWatchClient({});
    return client.send(new GetMetricDataCommand(input));
  },
};

/** The scheduled pull (EventBridge Scheduler): `{}`, or `{"at": "<ISO time>"}` to pull as of another time. */
export const handler = stepHandler('pull', async (ctx, event: { at?: string }) => {
  const { models } = await pullMetrics(ctx, reader, event.at ? new Date(event.at) : new Date());
  const stored = models.reduce((sum, model) => sum + model.stored, 0);
  const rejected = models.flatMap((model) =>
    model.rejected.map((row) => ({ modelId: model.modelId, ...row })),
  );
  publishMetric('ObservationsStored', stored, { path: 'pull' });
  publishMetric('ObservationsRejected', rejected.length, { path: 'pull' });
  if (rejected.length > 0) logger.warn('pulled values conflict with stored ones', { rejected });
  return { models: models.length, stored, rejected: rejected.length };
});
