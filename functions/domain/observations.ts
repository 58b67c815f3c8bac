import { formatIssues } from './policy.ts';
import { TimestampSchema } from './timestamp.ts';
import * as z from './zod.ts';

const Timestamp = TimestampSchema;

const Name = z.string().check(z.minLength(1), z.maxLength(128));
// zod 4 numbers reject NaN and ±Infinity already; the message says which problem the row has.
const Finite = z
  .number({
    error: (issue) => {
      if (issue.input === undefined) return 'is required';
      if (typeof issue.input === 'number') return 'must be finite (not NaN or Infinity)';
      return 'must be a number';
    },
  })
  .check(
    z.refine(isStorableNumber, {
      message: 'must be 0 or between 1e-130 and 1e126 in magnitude (what DynamoDB can store)',
    }),
  );

/** DynamoDB's number range: 0, or a magnitude in [1e-130, 1e126). A double has at most 17 significant digits. */
export function isStorableNumber(value: number): boolean {
  const magnitude = Math.abs(value);
  return magnitude === 0 || (magnitude >= 1e-130 && magnitude < 1e126);
}

/**
 * A computed number made storable: magnitudes below DynamoDB's 1e-130 become 0 (a p-value of 1e-200 is 0
 * for every decision), larger ones are capped just below 1e126.
 */
export function storableNumber(value: number): number {
  if (Math.abs(value) < 1e-130) return 0;
  return Math.max(-9.99999999999999e125, Math.min(9.99999999999999e125, value));
}

/**
 * A business KPI measured over `count` samples at `timestamp`. A mean may carry its spread, as the standard
 * deviation `sd` of the samples or as their `sum` and `sumSquares` (then `sum / count` must be `value`).
 */
export const KpiObservationSchema = z
  .strictObject({
    type: z.literal('kpi'),
    modelId: Name,
    metric: Name,
    value: Finite,
    count: z
      .number({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number') })
      .check(
        z.int('must be a whole number'),
        z.nonnegative('must not be negative'),
        z.refine(isStorableNumber, { message: 'must be below 1e126 (what DynamoDB can store)' }),
      ),
    timestamp: Timestamp,
    sd: z.optional(Finite.check(z.refine((sd) => sd >= 0, { message: 'must not be negative' }))),
    sum: z.optional(Finite),
    sumSquares: z.optional(Finite.check(z.refine((sq) => sq >= 0, { message: 'must not be negative' }))),
    /**
     * The model version that served this traffic (its `KAIZEN_MODEL_VERSION`), when the producer splits a KPI by
     * version: while a candidate and the champion serve side by side (traffic stages, a canary), verification
     * compares their rows over the same period. Send either split rows or totals for a window, not both.
     */
    version: z.optional(z.number().check(z.int('must be a whole number'), z.gte(1, 'must be at least 1'))),
  })
  .check(
    z.superRefine((row, ctx) => {
      const issue = (path: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: [path], message });
      if ((row.sum === undefined) !== (row.sumSquares === undefined)) {
        issue(row.sum === undefined ? 'sum' : 'sumSquares', 'sum and sumSquares go together');
        return;
      }
      if (row.sum !== undefined && row.sd !== undefined)
        issue('sd', 'give sd or sum and sumSquares, not both');
      if (row.sum === undefined || row.sumSquares === undefined) return;
      if (row.count === 0) {
        issue('sum', 'needs a count of at least 1');
        return;
      }
      const mean = row.sum / row.count;
      if (Math.abs(mean - row.value) > 1e-9 * Math.max(1, Math.abs(row.value))) {
        issue('sum', `sum / count is ${mean}, not the value ${row.value}`);
      } else if (row.sumSquares < (row.sum * row.sum) / row.count - 1e-9 * Math.max(1, row.sumSquares)) {
        issue('sumSquares', 'is smaller than sum² / count: no set of samples has these sums');
      }
    }),
  );

/** Per-sample variance (n - 1 denominator) a KPI row carries, if any. */
export function rowVariance(
  row: Pick<KpiObservation, 'count' | 'sd' | 'sum' | 'sumSquares'>,
): number | undefined {
  if (row.sd !== undefined) return row.sd * row.sd;
  if (row.sum === undefined || row.sumSquares === undefined || row.count < 2) return undefined;
  return Math.max(0, (row.sumSquares - (row.sum * row.sum) / row.count) / (row.count - 1));
}

/** A drift score of one feature, computed by `method`, at `timestamp`. */
export const DriftObservationSchema = z.strictObject({
  type: z.literal('drift'),
  modelId: Name,
  feature: Name,
  method: Name,
  score: Finite.check(z.refine((score) => score >= 0, { message: 'must not be negative' })),
  timestamp: Timestamp,
  /** The method's verdict with its own threshold (a p-value for tests); computed drift carries it. */
  drifted: z.optional(z.boolean()),
  threshold: z.optional(Finite),
  pValue: z.optional(Finite),
});

export const ObservationSchema = z.discriminatedUnion(
  'type',
  [KpiObservationSchema, DriftObservationSchema],
  {
    error: 'type must be "kpi" or "drift"',
  },
);

export type KpiObservation = z.infer<typeof KpiObservationSchema>;
export type DriftObservation = z.infer<typeof DriftObservationSchema>;
export type Observation = z.infer<typeof ObservationSchema>;

/** Where computed rows come from; the trigger ignores them (the loop reacting to its own writes). */
export const COMPUTED_ORIGIN = 'monitor';

/** A drift row the loop computed from datasets (not ingested): marked with its origin. */
export type ComputedDrift = DriftObservation & { origin: typeof COMPUTED_ORIGIN };

/** A row that could not be stored, with where and why. */
export interface RejectedRow {
  line: number;
  reason: string;
}

export type RowResult = { ok: true; observation: Observation } | { ok: false; reason: string };

/** Validates one decoded row. */
export function parseObservation(row: unknown): RowResult {
  const result = ObservationSchema.safeParse(row);
  if (result.success) return { ok: true, observation: result.data };
  return { ok: false, reason: formatIssues(result.error).join('; ') };
}

/**
 * Sort key of a stored observation (or data-quality record) in the metrics table: timestamp first so a window
 * is one range query; re-ingesting the same row overwrites it.
 */
export function observationKey(
  observation:
    | Observation
    | { type: 'quality'; timestamp: string }
    | { type: 'arrival'; timestamp: string; key: string },
): string {
  const name =
    observation.type === 'kpi'
      ? observation.metric
      : observation.type === 'drift'
        ? observation.feature
        : observation.type === 'arrival'
          ? observation.key
          : 'dataset';
  const version =
    observation.type === 'kpi' && observation.version !== undefined ? `#v${observation.version}` : '';
  return `${observation.timestamp}#${observation.type}#${name}${version}`;
}
