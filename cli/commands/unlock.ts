import type { Command } from 'commander';
import { unlockRecord } from '#domain/record.ts';
import { getChampion } from '#stores/champion.ts';
import { getLock, releaseLock } from '#stores/lock.ts';
import { getPolicy } from '#stores/policies.ts';
import { putRun } from '#stores/runs.ts';
import type { Io } from '../io.ts';
import { executionName } from '../names.ts';
import { globalOptions, withBackend } from '../options.ts';

/** Registers `kaizen unlock --model <id>`: releases a lock left by a run that is gone, recorded in history. */
export function registerUnlockCommand(program: Command, io: Io): void {
  program
    .command('unlock')
    .description("release a model's lock left by a run that is gone (recorded in the model's history)")
    .requiredOption('--model <id>', 'model id')
    .action(async (options: { model: string }) => {
      const globals = globalOptions(program);
      const result = await withBackend(globals, async ({ ctx }) => {
        await getPolicy(ctx, options.model); // an unknown model is bad input (exit 2)
        const lock = await getLock(ctx, options.model);
        // Conditional on the owner read: a lock a new run took meanwhile is not released.
        if (!lock || !(await releaseLock(ctx, options.model, lock.owner))) return { released: null };
        const record = unlockRecord({
          modelId: options.model,
          lock,
          champion: (await getChampion(ctx, options.model))?.version ?? null,
          executionName: executionName('unlock', options.model),
          now: new Date().toISOString(),
        });
        await putRun(ctx, record);
        return { released: lock, record };
      });
      if (globals.json) return io.out(JSON.stringify(result));
      if (!result.released) return io.out(`${options.model}: no lock held`);
      io.out(`${options.model}: ${result.record?.summary}`);
    });
}
