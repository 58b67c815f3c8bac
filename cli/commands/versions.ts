import type { Command } from 'commander';
import { aliasHistory } from '#stores/champion.ts';
import { getPolicy } from '#stores/policies.ts';
import { listRuns } from '#stores/runs.ts';
import { listVersions, type VersionRecord } from '#stores/versions.ts';
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
      const { versions, aliases, runs } = await withBackend(
        globals,
        async ({ ctx }) => ({
          policy: await getPolicy(ctx, options.model), // an unknown model is bad input (exit 2)
          versions: await listVersions(ctx, options.model),
          aliases: await aliasHistory(ctx, options.model),
          runs: await listRuns(ctx, options.model, 200),
        }),
        { shared: true },
      );
      // The gate's scores are in the record of the run that trained each version.
      const evaluations = new Map(
        runs.flatMap((run) => (run.evaluation ? [[run.executionName, run.evaluation]] : [])),
      );
      const withScores = versions.map((v) => ({ ...v, evaluation: evaluations.get(v.executionName) }));
      if (globals.json) return io.out(JSON.stringify({ versions: withScores, aliases }));
      if (versions.length === 0) return io.out(`no versions of ${options.model}`);
      io.out(
        table(
          [
            'VERSION',
            'STATUS',
            'BACKEND',
            'PARENT',
            'TRAINED AS OF',
            'TRAINING DATA',
            'DATA SHA-256',
            'HOLDOUT SCORE',
            'ARTIFACT',
          ],
          withScores.map((v) => [
            version(v.version),
            v.status,
            v.backend ?? 'builtin',
            version(v.parentVersion),
            shortTime(v.trainedAsOf),
            trainingData(v.dataset),
            `${v.dataset.sha256.slice(0, 12)}${v.dataset.sameAsChampion ? ' (same as champion)' : ''}`,
            v.evaluation
              ? `${v.evaluation.metric} ${v.evaluation.candidateScore.toFixed(4)}` +
                (v.evaluation.championScore === null ? '' : ` vs ${v.evaluation.championScore.toFixed(4)}`)
              : '-',
            v.artifactKey,
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

/** `1200 rows of datasets/x.csv`, `28 objects in 2 channels`. */
function trainingData(dataset: VersionRecord['dataset']): string {
  if (dataset.channels) {
    const objects = Object.values(dataset.channels).reduce((total, keys) => total + keys.length, 0);
    const channels = Object.keys(dataset.channels).length;
    return `${objects} object${objects === 1 ? '' : 's'} in ${channels === 1 ? `channel ${Object.keys(dataset.channels)[0]}` : `${channels} channels`}`;
  }
  const days = dataset.keys ? ` (${dataset.keys.length} days)` : '';
  return `${dataset.rows ?? '?'} rows of ${dataset.key}${days}`;
}
