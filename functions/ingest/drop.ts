/** The S3 drop folder: a file put under `ingest/` is ingested, reported beside its key and moved. */
import { DatasetError, ObjectNotFoundError } from '#contracts/errors.ts';
import { OBSERVATIONS_REJECTED } from '#contracts/workflows.ts';
import { OBSERVATION_NUMBERS, parquetRows, readRows, rowsFormatOf } from '#datasets/rows.ts';
import {
  DROP_EXTENSIONS,
  type DropReport,
  dropReport,
  isDropKey,
  REPORT_MAX_REJECTED,
  REPORT_SUFFIX,
} from '#domain/drop.ts';
import type { IngestResult, IngestRow } from '#domain/ingest.ts';
import type { Observation } from '#domain/observations.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { copyObject, deleteObject, getStream, putJson } from '#stores/artifacts.ts';
import { s3ObjectBuffer } from '#stores/datasets.ts';
import { ingestObservations } from './ingest.ts';

/** What became of one notified key. */
export type DropOutcome =
  | { key: string; skipped: 'not a drop file' | 'gone' }
  | { key: string; report: DropReport; reportKey: string; newest: Observation[] };

/** Rejected rows named in the rejection event (the report lists more). */
const EVENT_MAX_REJECTED = 10;

/**
 * Ingests one dropped file: rows streamed from S3 (CSV and JSON Lines from one GET, Parquet one row group at a
 * time), validated and stored as `kaizen ingest` does; the file moved to `ingest/done/` (every row stored or
 * already stored) or `ingest/failed/` (a row rejected, or the file unreadable); the report written at
 * `<key>.report.json`; and `Kaizen Observations Rejected` published when anything was rejected. A key outside
 * the folder, under `done/` or `failed/`, or already moved (a repeated notification) is skipped. Re-dropping a
 * file stores only what is new: rows stored before are `unchanged`.
 */
export async function ingestDropped(
  ctx: KaizenContext,
  key: string,
  now = () => new Date(),
): Promise<DropOutcome> {
  if (!isDropKey(key)) return { key, skipped: 'not a drop file' };
  let outcome: { result: IngestResult } | { error: string };
  try {
    const rows = await openRows(ctx, key);
    outcome = { result: await ingestObservations(ctx, rows, { maxRejected: REPORT_MAX_REJECTED }) };
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return { key, skipped: 'gone' };
    if (!(error instanceof DatasetError)) throw error;
    outcome = {
      error: `${error.message} (rows read before it are stored; sending the fixed file again is safe)`,
    };
  }
  const report = dropReport(key, outcome, now().toISOString());
  await copyObject(ctx, key, report.movedTo);
  await deleteObject(ctx, key);
  const reportKey = `${key}${REPORT_SUFFIX}`;
  await putJson(ctx, reportKey, report);
  if (report.status === 'failed') {
    await ctx.events.publish(OBSERVATIONS_REJECTED, {
      path: 's3',
      bucket: ctx.config.bucket,
      key,
      movedTo: report.movedTo,
      report: reportKey,
      stored: report.stored,
      rejectedCount: report.rejectedCount,
      rejected: report.rejected.slice(0, EVENT_MAX_REJECTED),
      ...(report.error ? { error: report.error } : {}),
    });
  }
  return { key, report, reportKey, newest: 'result' in outcome ? outcome.result.newest : [] };
}

/** The rows of a dropped file, streamed. @throws DatasetError for an unknown type, ObjectNotFoundError if gone. */
async function openRows(ctx: KaizenContext, key: string): Promise<AsyncIterable<IngestRow>> {
  const format = rowsFormatOf(key);
  if (!format || (format === 'jsonl' && key.toLowerCase().endsWith('.json'))) {
    throw new DatasetError(`${key}: unknown file type; the drop folder takes ${DROP_EXTENSIONS.join(', ')}`);
  }
  if (format === 'parquet') return parquetRows(await s3ObjectBuffer(ctx, key), key);
  const { body } = await getStream(ctx, key);
  return readRows(body, format, OBSERVATION_NUMBERS);
}
