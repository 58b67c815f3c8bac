import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { renderModelCard } from '#domain/card.ts';
import { getChampion } from '#stores/champion.ts';
import { getPolicy } from '#stores/policies.ts';
import { listVersions } from '#stores/versions.ts';
import { modelCard } from '../../functions/record/card.ts';
import { type Io, UsageError } from '../io.ts';
import { globalOptions, positiveInteger, withBackend } from '../options.ts';

/**
 * Registers `kaizen card --model <id> [version] [--out file]`: a version's model card, built now. The version
 * is an argument (`--version` is the program's own option).
 */
export function registerCardCommand(program: Command, io: Io): void {
  program
    .command('card')
    .description(
      "a version's model card: purpose, data, parameters, scores, approval, deploys and KPIs (Markdown)",
    )
    .argument('[version]', 'version number, e.g. 3 (default: the champion, else the latest)')
    .requiredOption('--model <id>', 'model id')
    .option('--out <file>', 'write the Markdown to this file instead of printing it')
    .action(async (versionText: string | undefined, options: { model: string; out?: string }) => {
      const requested =
        versionText === undefined ? undefined : positiveInteger('version', versionText.replace(/^v/, ''));
      const globals = globalOptions(program);
      const card = await withBackend(
        globals,
        async ({ ctx }) => {
          const policy = await getPolicy(ctx, options.model); // an unknown model is bad input (exit 2)
          const version =
            requested ??
            (await getChampion(ctx, options.model))?.version ??
            (await listVersions(ctx, options.model, 1))[0]?.version;
          if (version === undefined) throw new UsageError(`${options.model} has no versions yet`);
          const built = await modelCard(ctx, options.model, version, policy.description);
          if (!built) throw new UsageError(`${options.model} has no version ${version}`);
          return built;
        },
        { shared: true },
      );
      if (globals.json) return io.out(JSON.stringify(card));
      const markdown = renderModelCard(card);
      if (!options.out) return io.out(markdown.trimEnd());
      await writeFile(options.out, markdown).catch((error: Error) => {
        throw new UsageError(`${options.out}: ${error.message}`);
      });
      io.out(`wrote the card of ${card.modelId} v${card.version} to ${options.out}`);
    });
}
