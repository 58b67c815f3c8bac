/** Observations sent as EventBridge events (`detail-type: Kaizen Observation`) on the stack's bus. */
import { OBSERVATIONS_REJECTED } from '#contracts/workflows.ts';
import type { IngestResult } from '#domain/ingest.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { ingestObservations, valueRows } from './ingest.ts';

/** The part of an EventBridge event this path reads. */
export interface ObservationEvent {
  id: string;
  source: string;
  'detail-type': string;
  detail: unknown;
}

/** An event's rows: `detail.observations` (many), or the detail itself (one row). */
export function eventRows(detail: unknown): unknown[] {
  if (detail !== null && typeof detail === 'object' && 'observations' in detail) {
    const { observations } = detail as { observations: unknown };
    return Array.isArray(observations) ? observations : [observations];
  }
  return [detail];
}

/**
 * Ingests the rows of one event as `kaizen ingest` does; rows are numbered from 1 in `detail.observations`.
 * Rejected rows are not an error (a retry of the event would reject them again): they are published as
 * `Kaizen Observations Rejected` naming the event, its source and each row's line and reason. A redelivered event
 * stores nothing twice.
 */
export async function ingestEvent(ctx: KaizenContext, event: ObservationEvent): Promise<IngestResult> {
  const result = await ingestObservations(ctx, valueRows(eventRows(event.detail)));
  if (result.rejectedCount > 0) {
    await ctx.events.publish(OBSERVATIONS_REJECTED, {
      path: 'events',
      eventId: event.id,
      eventSource: event.source,
      stored: result.stored,
      rejectedCount: result.rejectedCount,
      rejected: result.rejected,
    });
  }
  return result;
}
