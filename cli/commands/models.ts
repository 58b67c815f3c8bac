import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parsePolicy } from '#domain/policy.ts';
import { getChampions } from '#stores/champion.ts';
import { listModels, putPolicy } from '#stores/policies.ts';
import { type Io, UsageError } from '../io.ts';
import { globalOptions, jsonError, withBackend } from '../options.ts';
import { shortTime, table, version } from '../render.ts';

/** Registers `kaizen models put <policy.json>` and `kaizen models list`. */
export function registerModelsCommand(program: Command, io: Io): void {
  const models = program.command('models').description('register models and their policies');
  models
    .command('put')
    .argument('<policy.json>', 'policy file')
    .description('register a model or replace its policy (validated; errors name the field)')
    .action(async (path: string) => {
      const globals = globalOptions(program);
      const text = await readFile(path, 'utf8').catch((error: Error) => {
        throw new UsageError(`${path}: ${error.message}`);
      });
      let document: unknown;
      try {
        // A byte-order mark (some editors write one) is not part of the JSON.
        document = JSON.parse(text.replace(/^\uFEFF/, ''));
      } catch (error) {
        throw new UsageError(jsonError(path, text, error as Error));
      }
      const policy = parsePolicy(document, path);
      await withBackend(globals, ({ ctx }) => putPolicy(ctx, policy));
      if (globals.json) io.out(JSON.stringify({ registered: policy.modelId, policy }));
      else io.out(`registered ${policy.modelId}`);
    });
  models
    .command('list')
    .description('list registered models with their champions')
    .action(async () => {
      const globals = globalOptions(program);
      const rows = await withBackend(
        globals,
        async ({ ctx }) => {
          const entries = await listModels(ctx);
          const champions = await getChampions(
            ctx,
            entries.map((entry) => entry.modelId),
          );
          return entries.map((entry) => ({ ...entry, champion: champions.get(entry.modelId) ?? null }));
        },
        { shared: true },
      );
      if (globals.json) return io.out(JSON.stringify(rows));
      io.out(
        table(
          ['MODEL', 'CHAMPION', 'WINDOW', 'KPIS', 'DRIFT', 'UPDATED'],
          rows.map((row) => [
            row.modelId,
            version(row.champion?.version),
            row.policy.window,
            row.policy.kpis.map((kpi) => kpi.metric).join(',') || '-',
            row.policy.monitoring
              ? `${row.policy.monitoring.features.length} features from datasets`
              : row.policy.drift
                ? `scores <= ${row.policy.drift.maxScore}`
                : undefined,
            shortTime(row.updatedAt),
          ]),
        ),
      );
    });
}
