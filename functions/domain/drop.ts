import { INGEST_PREFIX } from '#contracts/workflows.ts';
import type { IngestResult } from './ingest.ts';

/** Where a dropped file goes once ingested: every row stored (or already stored), or anything rejected. */
export type DropStatus = 'done' | 'failed';

/** Suffix of the report written beside a dropped file's key. */
export const REPORT_SUFFIX = '.report.json';

/** Extensions a dropped file may have (the S3 notifications filter on them too). */
export const DROP_EXTENSIONS = ['.csv', '.jsonl', '.ndjson', '.parquet'] as const;

/** Rejected rows listed in a report (the rest are counted). */
export const REPORT_MAX_REJECTED = 1000;

/**
 * Whether `key` is a file waiting in the drop folder: under `ingest/`, not under `ingest/done/` or
 * `ingest/failed/` (where files are moved, which notifies again) and not a report.
 */
export function isDropKey(key: string): boolean {
  if (!key.startsWith(INGEST_PREFIX) || key.endsWith(REPORT_SUFFIX)) return false;
  const rest = key.slice(INGEST_PREFIX.length);
  return rest !== '' && !rest.startsWith('done/') && !rest.startsWith('failed/');
}

/** Where a dropped file is moved: `ingest/a/b.csv` -> `ingest/done/a/b.csv` (or `failed/`). */
export function dropDestination(key: string, status: DropStatus): string {
  return `${INGEST_PREFIX}${status}/${key.slice(INGEST_PREFIX.length)}`;
}

/** The report of one dropped file, written at `<key>.report.json`. */
export interface DropReport {
  key: string;
  status: DropStatus;
  movedTo: string;
  /** Why the file as a whole could not be read (unknown type, bad CSV header, not Parquet). */
  error?: string;
  stored: number;
  unchanged: number;
  duplicates: number;
  rejectedCount: number;
  /** The first rejected rows, each with its line (CSV and JSON Lines) or row number (Parquet). */
  rejected: IngestResult['rejected'];
  unknownMetrics: IngestResult['unknownMetrics'];
  finishedAt: string;
}

/** The report of a dropped file from what ingesting it gave (or the error that stopped it before any row). */
export function dropReport(
  key: string,
  outcome: { result: IngestResult } | { error: string },
  finishedAt: string,
): DropReport {
  if ('error' in outcome) {
    return {
      key,
      status: 'failed',
      movedTo: dropDestination(key, 'failed'),
      error: outcome.error,
      stored: 0,
      unchanged: 0,
      duplicates: 0,
      rejectedCount: 0,
      rejected: [],
      unknownMetrics: [],
      finishedAt,
    };
  }
  const { result } = outcome;
  const status: DropStatus = result.rejectedCount > 0 ? 'failed' : 'done';
  return {
    key,
    status,
    movedTo: dropDestination(key, status),
    stored: result.stored,
    unchanged: result.unchanged,
    duplicates: result.duplicates,
    rejectedCount: result.rejectedCount,
    rejected: result.rejected,
    unknownMetrics: result.unknownMetrics,
    finishedAt,
  };
}
