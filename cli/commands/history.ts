import type { Command } from 'commander';
import { listChecks } from '#stores/checks.ts';
import { getPolicy } from '#stores/policies.ts';
import { listRuns } from '#stores/runs.ts';
import type { Io } from '../io.ts';
import { globalOptions, positiveInteger, recentDays, wholeNumber, withBackend } from '../options.ts';
import { shortTime, version } from '../render.ts';

/** Registers `kaizen history --model <id>`. */
export function registerHistoryCommand(program: Command, io: Io): void {
  program
    .command('history')
    .description("a model's run records with the reasons for each decision")
    .requiredOption('--model <id>', 'model id')
    .option('--limit <n>', 'most recent runs to show', '20')
    .option('--checks <days>', 'also show sweep and event checks of the last N days (UTC)', '0')
    .action(async (options: { model: string; limit: string; checks: string }) => {
      const globals = globalOptions(program);
      const limit = positiveInteger('--limit', options.limit);
      const days = recentDays(wholeNumber('--checks', options.checks));
      const { runs, checks } = await withBackend(
        globals,
        async ({ ctx }) => ({
          policy: await getPolicy(ctx, options.model), // an unknown model is bad input (exit 2)
          // Fetched newest-started first, shown in as-of order so replays of past windows fall into place.
          runs: (await listRuns(ctx, options.model, limit)).sort(
            (a, b) => b.asOf.localeCompare(a.asOf) || b.startedAt.localeCompare(a.startedAt),
          ),
          checks: await listChecks(ctx, options.model, days),
        }),
        { shared: true },
      );
      // One shape with or without --checks: { runs, checks } (checks empty unless asked for).
      if (globals.json) return io.out(JSON.stringify({ runs, checks }));
      for (const check of checks) {
        io.out(
          `${shortTime(check.checkedAt)}  check (${check.source}) as of ${shortTime(check.asOf)}: ${check.summary}${check.start ? ` [${check.start}]` : ''}`,
        );
      }
      if (runs.length === 0) return io.out(`no runs recorded for ${options.model}`);
      for (const run of runs) {
        io.out(
          `${shortTime(run.asOf)}  ${run.outcome.padEnd(11)}  ${version(run.championBefore)} -> ${version(run.championAfter)}  ${run.summary}`,
        );
        for (const reason of run.decision?.reasons ?? []) {
          if (reason.breached) io.out(`    ! ${reason.message}`);
        }
      }
    });
}
