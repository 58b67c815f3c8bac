import type { Command } from 'commander';
import { attentionLine } from '#domain/attention.ts';
import { formatIssues } from '#domain/policy.ts';
import { SweepInputSchema } from '#domain/sweep.ts';
import { type Fail, type Io, UsageError } from '../io.ts';
import { executionName } from '../names.ts';
import { globalOptions, positiveInteger, withBackend } from '../options.ts';
import { printLoop } from '../render.ts';
import { sweepAttention } from '../states.ts';

/** Registers `kaizen sweep`; a failed sweep or loop makes the exit code 1 (`fail`). */
export function registerSweepCommand(program: Command, io: Io, fail: Fail): void {
  program
    .command('sweep')
    .description(
      'check every registered model against its policy and start loops where needed (what the schedule runs)',
    )
    .option('--at <timestamp>', 'sweep as of this ISO-8601 instant (default: now)')
    .option('--page-size <n>', 'models per page (one Lambda call each)', '100')
    .action(async (options: { at?: string; pageSize: string }) => {
      const globals = globalOptions(program);
      const input = {
        pageSize: positiveInteger('--page-size', options.pageSize),
        ...(options.at ? { at: options.at } : {}),
      };
      const checked = SweepInputSchema.safeParse(input);
      if (!checked.success)
        throw new UsageError(`invalid sweep input: ${formatIssues(checked.error).join('; ')}`);
      const startedAt = new Date().toISOString();
      const { result, attention } = await withBackend(globals, async (backend) => {
        const result = await backend.runSweep(input, executionName('sweep', 'fleet'));
        // Every model the sweep did not find healthy, named with what it needs (its check, and its loop's record).
        const attention = await sweepAttention(
          backend.ctx,
          options.at ?? startedAt,
          options.at !== undefined,
          result,
        );
        return { result, attention };
      });
      if (globals.json) io.out(JSON.stringify({ ...result, attention }));
      else if (result.totals) {
        const t = result.totals;
        io.out(
          `swept ${t.models} models in ${result.pages} pages: ${t.none} healthy, ${t.watch} watch, ${t.retrain} retrain ` +
            `(${t.started} loops started, ${t.duplicates} already started for their window), ${t.blocked} blocked` +
            (t.errors > 0 ? `, ${t.errors} could not be checked (their errors: kaizen status)` : '') +
            (result.continuedIn ? `; it went on in ${result.continuedIn.length} more executions` : ''),
        );
        for (const loop of result.loops) printLoop(io, loop);
        if (attention.length > 0) {
          io.out(
            `\n${attention.length} ${attention.length === 1 ? 'model needs' : 'models need'} attention:`,
          );
          for (const item of attention) io.out(`  ${attentionLine(item)}`);
        }
      } else io.err(`sweep ${result.executionName} failed: ${result.error?.name}: ${result.error?.cause}`);
      const failedChecks = (result.totals?.errors ?? 0) > 0;
      if (
        result.status !== 'SUCCEEDED' ||
        failedChecks ||
        result.loops.some((loop) => loop.status !== 'SUCCEEDED')
      )
        fail();
    });
}
