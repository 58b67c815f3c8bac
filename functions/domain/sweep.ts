import { TimestampSchema } from './timestamp.ts';
import * as z from './zod.ts';

const Totals = z.object({
  models: z.int(),
  none: z.int(),
  watch: z.int(),
  retrain: z.int(),
  blocked: z.int(),
  started: z.int(),
  duplicates: z.int(),
  /** Models whose check failed (recorded as their error; the rest of the page was checked). */
  errors: z._default(z.int(), 0),
});

/** Input of one sweep page: the fleet sweep passes each page's output to the next page. */
export const SweepInputSchema = z.strictObject({
  cursor: z.optional(z.nullable(z.string())),
  /** Models per page (one Lambda call). */
  pageSize: z._default(z.int().check(z.gte(1), z.lte(1000)), 100),
  /** Sweep as of this instant (ISO); default: the execution's start. Each model checks its last complete window. */
  at: z.optional(TimestampSchema),
  pages: z._default(z.int().check(z.nonnegative()), 0),
  totals: z.optional(Totals),
  /**
   * An Express run lasts at most 5 minutes: after this long, the sweep goes on in a new execution from its
   * cursor (`continueAsNew`) instead of being cut off mid-fleet.
   */
  continueAfterSeconds: z._default(z.int().check(z.gte(0), z.lte(270)), 180),
});

export type SweepInput = z.infer<typeof SweepInputSchema>;

export type SweepState = Omit<SweepInput, 'cursor' | 'at' | 'totals'> & {
  cursor: string | null;
  at: string;
  totals: z.infer<typeof Totals>;
  /** Set when the sweep should go on in a new execution from `cursor` (its time is nearly up). */
  continueAsNew?: true;
};

/** Input of every scheduled sweep: models per page (one sweep-function call). */
export const SCHEDULED_SWEEP_INPUT = { pageSize: 100 } as const;
