import type { RunRecord } from '#domain/record.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getChampion, getChampionAlias } from '#stores/champion.ts';
import { listRuns } from '#stores/runs.ts';
import { closePendingTask } from '#stores/tasks.ts';
import { getVersion } from '#stores/versions.ts';
import { rollback } from '../rollback/rollback.ts';
import { record } from './record.ts';

export interface InterruptedRun {
  modelId: string;
  executionName: string;
  /** ISO time the execution started. */
  startTime: string;
  /** The run's logical time, if its input gave one. */
  asOf?: string;
  /** What stopped it, e.g. `the local run was interrupted (SIGINT)`. */
  reason: string;
}

/**
 * Settles a run that stopped before its Record step (a local run interrupted by SIGINT or SIGTERM): an alias
 * move this execution made is taken back (its verification never completed, so the champion must not stay
 * changed), then the run is recorded as failed with the registry's champion, its unjudged candidate marked
 * failed and its lock released. A run that recorded itself before the interrupt is left as it is.
 */
export async function recordInterrupted(
  ctx: KaizenContext,
  interrupted: InterruptedRun,
): Promise<RunRecord | undefined> {
  const { modelId, executionName, startTime, reason } = interrupted;
  // A run whose Record step finished is settled already (its lock released): nothing to take back or record.
  if ((await listRuns(ctx, modelId, 20)).some((run) => run.executionName === executionName)) return undefined;
  const run = {
    modelId,
    executionName,
    force: false,
    dryRun: false,
    asOf: interrupted.asOf ?? startTime,
    startedAt: startTime,
  };
  const alias = await getChampionAlias(ctx, modelId);
  // Only this run's own candidate is taken back: an alias this run moved back to the old champion (its Rollback
  // ran) points at a version another run trained, and stays.
  const ownCandidate =
    alias?.executionName === executionName &&
    (await getVersion(ctx, modelId, alias.version))?.executionName === executionName;
  const undone =
    alias && ownCandidate
      ? await rollback(ctx, {
          run,
          deployment: {
            version: alias.version,
            previousVersion: alias.previousVersion ?? null,
            deployedAt: alias.updatedAt ?? '',
            bakeSeconds: 0,
          },
          reason: `rolled back from v${alias.version}: its run was interrupted before verification`,
        })
      : null;
  // After the undo the champion is the one the run started from: the record's "before".
  const champion = await getChampion(ctx, modelId);
  // A pending callback task of the run, if any, is closed: nobody waits for its answer now.
  await closePendingTask(ctx, executionName);
  return record(ctx, {
    state: { modelId, champion, rollback: undone, error: { Error: 'Interrupted', Cause: reason } },
    execution: { name: executionName, startTime },
    outcome: 'failed',
  });
}
