import { type Notification, runNotification } from '#domain/notifications.ts';
import type { RunRecord } from '#domain/record.ts';
import { verifiedValues } from '#domain/roi.ts';
import { stepHandler } from '#runtime/handler.ts';
import { publishMetric } from '#runtime/metrics.ts';
import { type RecordEvent, record } from './record.ts';

/** The workflow's state after Record: the run record (the execution's output) and what to publish, if anything. */
export interface Recorded {
  record: RunRecord;
  notification?: Notification;
}

export const handler = stepHandler('record', async (ctx, event: RecordEvent): Promise<Recorded> => {
  const runRecord = await record(ctx, event);
  publishMetric('Runs', 1, { outcome: runRecord.outcome });
  publishMetric('ModelRuns', 1, { model: runRecord.modelId, outcome: runRecord.outcome });
  if (runRecord.outcome === 'promoted' && event.state.verification?.verdict === 'pass') {
    for (const { currency, value } of verifiedValues(
      event.state.policy?.kpis ?? [],
      event.state.verification.kpis ?? [],
    )) {
      publishMetric('DeployValue', value, { currency });
    }
  }
  const notification = runNotification(runRecord, event.state.policy?.notifications?.on);
  return notification ? { record: runRecord, notification } : { record: runRecord };
});
