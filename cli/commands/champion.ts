import type { Command } from 'commander';
import { getChampion } from '#stores/champion.ts';
import { s3Uri } from '#stores/objects.ts';
import { getPolicy } from '#stores/policies.ts';
import { getVersion } from '#stores/versions.ts';
import type { Io } from '../io.ts';
import { globalOptions, withBackend } from '../options.ts';
import { shortTime } from '../render.ts';

/** Registers `kaizen champion --model <id>`: the serving version and its artifact, for serving code and people. */
export function registerChampionCommand(program: Command, io: Io): void {
  program
    .command('champion')
    .description('the version that serves now: its artifact, backend and since when')
    .requiredOption('--model <id>', 'model id')
    .action(async (options: { model: string }) => {
      const globals = globalOptions(program);
      const champion = await withBackend(
        globals,
        async ({ ctx }) => {
          await getPolicy(ctx, options.model); // an unknown model is bad input (exit 2)
          const current = await getChampion(ctx, options.model);
          if (!current) return null;
          const version = await getVersion(ctx, options.model, current.version);
          return {
            modelId: options.model,
            version: current.version,
            artifactKey: current.artifactKey,
            artifactUri: s3Uri(ctx, current.artifactKey),
            since: current.since,
            backend: version?.backend ?? 'builtin',
            executionName: version?.executionName ?? null,
          };
        },
        { shared: true },
      );
      if (globals.json) return io.out(JSON.stringify(champion));
      if (!champion) return io.out(`${options.model}: no champion yet`);
      io.out(
        `${options.model}: v${champion.version} (${champion.backend}) serving since ${shortTime(champion.since)}, ` +
          `artifact ${champion.artifactUri}`,
      );
    });
}
