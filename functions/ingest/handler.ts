import type { S3Event } from 'aws-lambda';
import { DATASETS_PREFIX } from '#contracts/workflows.ts';
import { stepHandler } from '#runtime/handler.ts';
import { publishMetric } from '#runtime/metrics.ts';
import { recordArrival } from '#stores/arrivals.ts';
import { ingestEvent, type ObservationEvent } from './events.ts';

/** What the function reports: per dropped key, or for one event. */
export type IngestSummary =
  | {
      files: { key: string; status: string; stored: number; rejected: number }[];
      /** Window datasets announced under `datasets/`, with the models told of each. */
      arrivals?: { key: string; models: string[] }[];
    }
  | { event: string; stored: number; unchanged: number; rejected: number };

/**
 * The ingestion function: S3 notifications of the drop folder and `Kaizen Observation` events from the
 * stack's bus, both through the one ingestion implementation; and S3 notifications of window datasets created
 * under `datasets/`, recorded as arrivals for the models whose windows they are.
 */
export const handler = stepHandler(
  'ingest',
  async (ctx, event: S3Event | ObservationEvent): Promise<IngestSummary> => {
    if ('Records' in event) {
      const files: { key: string; status: string; stored: number; rejected: number }[] = [];
      const arrivals: { key: string; models: string[] }[] = [];
      for (const record of event.Records) {
        // S3 URL-encodes keys in notifications, with + for spaces.
        const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
        if (key.startsWith(DATASETS_PREFIX)) {
          const object = { key, bytes: record.s3.object.size ?? 0, arrivedAt: record.eventTime };
          const rows = await recordArrival(ctx, object);
          arrivals.push({ key, models: rows.map((row) => row.modelId) });
          continue;
        }
        // The file readers (csv-parse, hyparquet) load only for files: an event's rows need none of them.
        const { ingestDropped } = await import('./drop.ts');
        const outcome = await ingestDropped(ctx, key);
        if ('skipped' in outcome) {
          files.push({ key, status: `skipped: ${outcome.skipped}`, stored: 0, rejected: 0 });
          continue;
        }
        const { report } = outcome;
        files.push({ key, status: report.status, stored: report.stored, rejected: report.rejectedCount });
        publishMetric('ObservationsStored', report.stored, { path: 'drop' });
        publishMetric('ObservationsRejected', report.rejectedCount, { path: 'drop' });
      }
      return arrivals.length > 0 ? { files, arrivals } : { files };
    }
    const result = await ingestEvent(ctx, event);
    publishMetric('ObservationsStored', result.stored, { path: 'event' });
    publishMetric('ObservationsRejected', result.rejectedCount, { path: 'event' });
    return {
      event: event.id,
      stored: result.stored,
      unchanged: result.unchanged,
      rejected: result.rejectedCount,
    };
  },
);
