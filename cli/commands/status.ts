import type { Command } from 'commander';
import { getChampions } from '#stores/champion.ts';
import { latestChecks } from '#stores/checks.ts';
import { listModels } from '#stores/policies.ts';
import { listRuns } from '#stores/runs.ts';
import type { Io } from '../io.ts';
import { globalOptions, recentDays, withBackend } from '../options.ts';
import { shortTime, table, version } from '../render.ts';

/** Registers `kaizen status`. */
export function registerStatusCommand(program: Command, io: Io): void {
  program
    .command('status')
    .description('models, their champion versions and last decisions')
    .action(async () => {
      const globals = globalOptions(program);
      const rows = await withBackend(
        globals,
        async ({ ctx }) => {
          const entries = await listModels(ctx);
          const checks = await latestChecks(ctx, recentDays(2));
          const champions = await getChampions(
            ctx,
            entries.map((entry) => entry.modelId),
          );
          return Promise.all(
            entries.map(async ({ modelId }) => ({
              modelId,
              champion: champions.get(modelId) ?? null,
              lastRun: (await listRuns(ctx, modelId, 1))[0] ?? null,
              lastCheck: checks.get(modelId) ?? null,
            })),
          );
        },
        { shared: true },
      );
      if (globals.json) return io.out(JSON.stringify(rows));
      io.out(
        table(
          ['MODEL', 'CHAMPION', 'SINCE', 'LAST CHECK', 'LAST RUN', 'OUTCOME', 'SUMMARY'],
          rows.map((row) => [
            row.modelId,
            version(row.champion?.version),
            shortTime(row.champion?.since),
            row.lastCheck ? `${shortTime(row.lastCheck.checkedAt)} ${row.lastCheck.action}` : undefined,
            shortTime(row.lastRun?.asOf),
            row.lastRun?.outcome,
            row.lastRun?.summary,
          ]),
        ),
      );
    });
}
