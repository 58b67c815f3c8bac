import type { Command } from 'commander';
import { aliasHistory } from '#stores/champion.ts';
import { getPolicy } from '#stores/policies.ts';
import { listVersions } from '#stores/versions.ts';
import type { Io } from '../io.ts';
import { globalOptions, withBackend } from '../options.ts';
import { shortTime, table, version } from '../render.ts';

/** Registers `kaizen versions --model <id>`. */
export function registerVersionsCommand(program: Command, io: Io): void {
  program
    .command('versions')
    .description("a model's versions with their lineage, and which version served when")
    .requiredOption('--model <id>', 'model id')
    .action(async (options: { model: string }) => {
      const globals = globalOptions(program);
      const { versions, aliases } = await withBackend(
        globals,
        async ({ ctx }) => ({
          policy: await getPolicy(ctx, options.model), // an unknown model is bad input (exit 2)
          versions: await listVersions(ctx, options.model),
          aliases: await aliasHistory(ctx, options.model),
        }),
        { readOnly: true },
      );
      if (globals.json) return io.out(JSON.stringify({ versions, aliases }));
      if (versions.length === 0) return io.out(`no versions of ${options.model}`);
      io.out(
        table(
          [
            'VERSION',
            'STATUS',
            'PARENT',
            'TRAINED AS OF',
            'ROWS',
            'DATASET SHA-256',
            'TRAIN AUC',
            'EXECUTION',
          ],
          versions.map((v) => [
            version(v.version),
            v.status,
            version(v.parentVersion),
            shortTime(v.trainedAsOf),
            v.dataset.rows,
            v.dataset.sha256.slice(0, 12),
            v.trainingMetrics.auc.toFixed(4),
            v.executionName,
          ]),
        ),
      );
      io.out('\nchampion alias (serving from, moved at):');
      for (const change of aliases) {
        io.out(
          `  ${shortTime(change.since)}  ${version(change.previousVersion)} -> ${version(change.version)}  ` +
            `${change.reason} (moved ${shortTime(change.at)} by ${change.executionName})`,
        );
      }
    });
}
