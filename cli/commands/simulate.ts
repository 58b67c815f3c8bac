import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { PolicyError } from '#contracts/errors.ts';
import { durationSeconds } from '#domain/duration.ts';
import { parsePolicy } from '#domain/policy.ts';
import { type Fail, type Io, UsageError } from '../io.ts';
import { globalOptions, jsonError, positiveInteger } from '../options.ts';

interface SimulateOptions {
  models: string;
  seed: string;
  anchors?: boolean;
  kinds?: string;
  volume: string;
  level: string;
  deploys: string;
}

/** What `kaizen simulate` needs of a policy file: the KPI rules (and window, persistence, rollout). */
const SCAFFOLD = {
  modelId: 'simulated',
  training: { dataset: 'datasets/simulated/train.csv', label: 'y', features: ['x'] },
  evaluation: { holdout: 'datasets/simulated/holdout.csv' },
};

/** `lo-hi` (or one number) as a range of positive numbers. */
function range(option: string, text: string): [number, number] {
  const parts = text.split('-').map((part) => Number(part.trim()));
  const [lo, hi] = parts.length === 1 ? [parts[0], parts[0]] : parts;
  if (parts.length > 2 || !(Number(lo) > 0) || !(Number(hi) >= Number(lo)))
    throw new UsageError(`${option} must be a positive number or a range such as 360-440, got "${text}"`);
  return [Number(lo), Number(hi)];
}

/** Registers `kaizen simulate`: a policy's KPI rules over a simulated fleet, before it goes live. */
export function registerSimulateCommand(program: Command, io: Io, _fail: Fail): void {
  program
    .command('simulate')
    .description(
      "run a policy's KPI rules over simulated KPI series (stationary, weekly, low volume, outliers, gaps, " +
        'drops, slow declines) and post-deploy verification: false retrains, detection, delay per kind',
    )
    .argument('<policy>', 'policy file (JSON); training and evaluation may be left out')
    .option('--models <n>', 'models per kind', '100')
    .option('--seed <n>', 'random seed', '1')
    .option('--anchors', 'also run the old rules, a NannyML-style 3σ rule and a naive 90% rule')
    .option('--kinds <list>', 'only these kinds (comma-separated)')
    .option('--deploys <n>', 'simulated deploys per verification scenario', '400')
    .option('--volume <lo-hi>', 'daily samples of a KPI in the verification scenarios', '360-440')
    .option('--level <lo-hi>', 'level of the KPI (a rate) in the verification scenarios', '0.3-0.4')
    .action(async (path: string, options: SimulateOptions) => {
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
      });
      let document: Record<string, unknown>;
      try {
        document = JSON.parse(text) as Record<string, unknown>;
      } catch (error) {
        throw new UsageError(jsonError(path, text, error as Error));
      }
      if (document === null || typeof document !== 'object' || Array.isArray(document))
        throw new UsageError(`${path}: a policy is a JSON object`);
      let policy: ReturnType<typeof parsePolicy>;
      try {
        policy = parsePolicy({ ...SCAFFOLD, ...document }, path);
      } catch (error) {
        if (error instanceof PolicyError) throw new UsageError(error.message);
        throw error;
      }
      if (policy.kpis.length === 0) throw new UsageError(`${path}: the policy has no KPI rules to simulate`);
      if (durationSeconds(policy.window) !== 86_400)
        throw new UsageError(
          `${path}: the simulation uses daily windows; the policy's window is ${policy.window}`,
        );
      const { KINDS } = await import('../simulate/series.ts');
      const kinds = options.kinds?.split(',').map((kind) => kind.trim());
      const unknown = kinds?.find((kind) => !(KINDS as readonly string[]).includes(kind));
      if (unknown !== undefined)
        throw new UsageError(`--kinds: unknown kind "${unknown}"; kinds: ${KINDS.join(', ')}`);
      const { formatSimulation, runSimulation } = await import('../simulate/report.ts');
      const result = runSimulation(policy, {
        models: positiveInteger('--models', options.models),
        seed: positiveInteger('--seed', options.seed),
        anchors: options.anchors === true,
        ...(kinds ? { kinds: kinds as (typeof KINDS)[number][] } : {}),
        verification: {
          models: positiveInteger('--deploys', options.deploys),
          volume: range('--volume', options.volume),
          level: range('--level', options.level),
        },
      });
      if (globalOptions(program).json) io.out(JSON.stringify(result));
      else io.out(formatSimulation(result, path).join('\n'));
    });
}
