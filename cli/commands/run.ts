import type { Command } from 'commander';
import type { RunRecord } from '#domain/record.ts';
import { parseRunInput } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getPolicy } from '#stores/policies.ts';
import { listRuns } from '#stores/runs.ts';
import type { Fail, Io } from '../io.ts';
import { executionName } from '../names.ts';
import { globalOptions, withBackend } from '../options.ts';
import { printRun } from '../render.ts';

/** The run record of an execution that failed, which says why (the execution's own error is generic). */
async function failedRunRecord(
  ctx: KaizenContext,
  modelId: string,
  name: string,
): Promise<RunRecord | undefined> {
  return (await listRuns(ctx, modelId, 10)).find((run) => run.executionName === name);
}

/** Registers `kaizen run --model <id>`; an execution that does not succeed makes the exit code 1 (`fail`). */
export function registerRunCommand(program: Command, io: Io, fail: Fail): void {
  program
    .command('run')
    .description('start the improvement loop for one model and print the outcome')
    .requiredOption('--model <id>', 'model id')
    .option('--force', 'retrain even if the policy says the model is healthy')
    .option('--dry-run', 'decide and record, but do not retrain')
    .option('--as-of <timestamp>', 'evaluate as of this ISO-8601 instant (default: now)')
    .action(async (options: { model: string; force?: boolean; dryRun?: boolean; asOf?: string }) => {
      const globals = globalOptions(program);
      const input = parseRunInput({
        modelId: options.model,
        force: options.force ?? false,
        dryRun: options.dryRun ?? false,
        ...(options.asOf ? { asOf: options.asOf } : {}),
      });
      const result = await withBackend(globals, async (backend) => {
        await getPolicy(backend.ctx, input.modelId); // an unknown model is a usage error, before anything starts
        const loop = await backend.runLoop(input, executionName('manual', input.modelId));
        const failed = loop.record
          ? undefined
          : await failedRunRecord(backend.ctx, input.modelId, loop.executionName);
        return failed ? { ...loop, record: failed } : loop;
      });
      if (globals.json) io.out(JSON.stringify(result));
      else if (result.record) printRun(io, result.record);
      else
        io.err(
          `${input.modelId}: execution ${result.executionName} failed: ${result.error?.name}: ${result.error?.cause}`,
        );
      if (result.status !== 'SUCCEEDED') fail();
    });
}
