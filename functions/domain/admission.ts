/**
 * Memory-bounded admission of dataset reads in one Lambda call (a sweep page, a trigger batch): each model's
 * read is estimated from its datasets' object sizes, and reads start while the estimates in flight fit a
 * budget derived from the function's memory. Pure: sizes in, bytes and decisions out.
 */

const MB = 1024 * 1024;

/** What a function keeps for itself (runtime, SDK clients, a page of policies and checks) before dataset reads. */
export const RESERVED_MEMORY_MB = 320;

/** Dataset reads never get less than this, however small the function. */
const MIN_BUDGET_MB = 64;

/** Fewest bytes one value of one column can take in a file of each format (a lower bound, so rows are an upper one). */
const MIN_CELL_BYTES = { csv: 2, jsonl: 6, parquet: 1 } as const;

/** Bytes a reader holds besides the column it hands out: CSV/JSON Lines spill budget, Parquet read-ahead. */
const READER_BYTES = { csv: 64 * MB, jsonl: 64 * MB, parquet: 32 * MB } as const;

/** Live copies of one numeric column while a feature is judged: the column, its sorted finite values, the sort's buffer. */
const COPIES_PER_COLUMN = 3;

/** One dataset a model's check reads. */
export interface DatasetObject {
  /** Object size in bytes (from a HEAD or a LIST). */
  bytes: number;
  format: keyof typeof MIN_CELL_BYTES;
}

/** Bytes of a function's memory that dataset reads may use at once. */
export function datasetReadBudget(memoryMb: number): number {
  return Math.max(MIN_BUDGET_MB, memoryMb - RESERVED_MEMORY_MB) * MB;
}

/**
 * Estimated peak bytes of judging `features` columns of these datasets one feature at a time (as Monitor reads
 * them): each reader's own buffer (at most its object's size) plus, per dataset, three copies of one column of
 * 8-byte values over an upper bound of its rows (object bytes / (features x the format's smallest cell)).
 */
export function datasetReadCost(features: number, datasets: readonly DatasetObject[]): number {
  const width = Math.max(1, features);
  let total = 0;
  for (const { bytes, format } of datasets) {
    const rows = Math.ceil(bytes / (width * MIN_CELL_BYTES[format]));
    total += Math.min(bytes, READER_BYTES[format]) + rows * 8 * COPIES_PER_COLUMN;
  }
  return total;
}

/** Dataset bytes a check reads and judges per second (measured: 1M x 50 Parquet, 762 MB, in about 60 s). */
export const READ_BYTES_PER_SECOND = 10 * MB;

/** Estimated seconds of reading and judging datasets of these sizes. */
export function datasetReadSeconds(datasets: readonly DatasetObject[]): number {
  return datasets.reduce((sum, { bytes }) => sum + bytes, 0) / READ_BYTES_PER_SECOND;
}

/** Whether a read estimated at `seconds` may start at `now` (ms) and still end before `deadline` (ms). */
export function fitsDeadline(now: number, seconds: number, deadline: number): boolean {
  return now + seconds * 1000 <= deadline;
}

/**
 * Reads admitted against a byte budget: a read starts when its cost fits beside those in flight, or alone
 * when nothing is in flight (a read larger than the budget still runs, one at a time, rather than never).
 */
export class MemoryAdmission {
  private inFlight = 0;
  private running = 0;

  constructor(readonly budget: number) {}

  /** Whether a read of `cost` may start now; when it may, it is counted until {@link release}. */
  tryAdmit(cost: number): boolean {
    if (this.running > 0 && this.inFlight + cost > this.budget) return false;
    this.inFlight += cost;
    this.running++;
    return true;
  }

  release(cost: number): void {
    this.inFlight -= cost;
    this.running--;
  }

  /** Bytes of the reads in flight. */
  get used(): number {
    return this.inFlight;
  }
}
