import * as z from 'zod';
import { TimestampSchema } from './timestamp.ts';

const Totals = z.object({
  models: z.number().int(),
  none: z.number().int(),
  watch: z.number().int(),
  retrain: z.number().int(),
  blocked: z.number().int(),
  started: z.number().int(),
  duplicates: z.number().int(),
  /** Models whose check failed (recorded as their error; the rest of the page was checked). */
  errors: z.number().int().default(0),
});

/** Input of one sweep page: the fleet sweep passes each page's output to the next page. */
export const SweepInputSchema = z
  .object({
    cursor: z.string().nullable().optional(),
    /** Models per page (one Lambda call). */
    pageSize: z.number().int().min(1).max(1000).default(100),
    /** Sweep as of this instant (ISO); default: the execution's start. Each model checks its last complete window. */
    at: TimestampSchema.optional(),
    pages: z.number().int().nonnegative().default(0),
    totals: Totals.optional(),
    /**
     * An Express run lasts at most 5 minutes: after this long, the sweep goes on in a new execution from its
     * cursor (`continueAsNew`) instead of being cut off mid-fleet.
     */
    continueAfterSeconds: z.number().int().min(0).max(270).default(180),
  })
  .strict();

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
