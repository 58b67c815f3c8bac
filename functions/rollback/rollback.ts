import type { Deployment, RunContext } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { clearChampion, moveChampion } from '#stores/champion.ts';
import { getVersion, setVersionStatus } from '#stores/versions.ts';

export interface RollbackEvent {
  run: RunContext;
  deployment: Deployment;
}

export interface RollbackResult {
  restoredVersion: number | null;
  removedVersion: number;
  at: string;
}

/** Moves the champion alias back to the version it had before this run's deploy. */
export async function rollback(ctx: KaizenContext, event: RollbackEvent): Promise<RollbackResult> {
  const { run, deployment } = event;
  const previous = deployment.previousVersion;
  const common = { modelId: run.modelId, expected: deployment.version, executionName: run.executionName };
  let at: string;
  if (previous === null) {
    at = (
      await clearChampion(ctx, { ...common, reason: 'rolled back: the first version failed verification' })
    ).at;
  } else {
    const record = await getVersion(ctx, run.modelId, previous);
    if (!record)
      throw new Error(`cannot roll back ${run.modelId}: version ${previous} is not in the registry`);
    const change = await moveChampion(ctx, {
      ...common,
      version: previous,
      artifactKey: record.artifactKey,
      reason: `rolled back from v${deployment.version}`,
      since: run.asOf,
    });
    at = change.at;
    await setVersionStatus(ctx, run.modelId, previous, 'champion');
  }
  await setVersionStatus(ctx, run.modelId, deployment.version, 'rolled-back');
  return { restoredVersion: previous, removedVersion: deployment.version, at };
}
