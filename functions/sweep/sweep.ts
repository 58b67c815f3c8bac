import { z } from 'zod';
import { formatIssues } from '#domain/policy.ts';
import { InvalidInputError } from '#domain/run.ts';
import { TimestampSchema } from '#domain/timestamp.ts';
import { putChecks } from '#shared/checks.ts';
import { getChampions, pageModels } from '#shared/registry.ts';
import { automatedAsOf, checkModel } from '../fleet/check.ts';
import { mapLimit } from '../fleet/pool.ts';

const Totals = z.object({
  models: z.number().int(),
  none: z.number().int(),
  watch: z.number().int(),
  retrain: z.number().int(),
  blocked: z.number().int(),
  started: z.number().int(),
  duplicates: z.number().int(),
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
  })
  .strict();

export type SweepState = Omit<z.infer<typeof SweepInputSchema>, 'cursor' | 'at' | 'totals'> & {
  cursor: string | null;
  at: string;
  totals: z.infer<typeof Totals>;
};

export interface SweepEvent {
  input: unknown;
  execution: { name: string; startTime: string };
}

const CONCURRENCY = 16;

/**
 * One page of the fleet sweep: reads a page of registered models, their champions in one batch, checks
 * each against its policy, starts loops where the decision is `retrain`, and records every decision.
 */
export async function sweepPage(event: SweepEvent): Promise<SweepState> {
  const parsed = SweepInputSchema.safeParse(event.input ?? {});
  if (!parsed.success)
    throw new InvalidInputError(`invalid sweep input: ${formatIssues(parsed.error).join('; ')}`);
  const input = parsed.data;
  const at = new Date(input.at ?? event.execution.startTime).toISOString();
  const totals = input.totals ?? {
    models: 0,
    none: 0,
    watch: 0,
    retrain: 0,
    blocked: 0,
    started: 0,
    duplicates: 0,
  };
  const page = await pageModels(input.pageSize, input.cursor ?? undefined);
  const champions = await getChampions(page.models.map((model) => model.modelId));
  const checks = await mapLimit(page.models, CONCURRENCY, (model) =>
    checkModel(
      model,
      champions.get(model.modelId) ?? null,
      automatedAsOf(model.policy, at, 'floor'),
      'sweep',
    ),
  );
  await putChecks('sweep', at, `${event.execution.name}-${input.pages}`, checks);
  for (const check of checks) {
    totals.models += 1;
    totals[check.action] += 1;
    if (check.start === 'started') totals.started += 1;
    if (check.start === 'duplicate') totals.duplicates += 1;
  }
  return { cursor: page.next, pageSize: input.pageSize, at, pages: input.pages + 1, totals };
}
