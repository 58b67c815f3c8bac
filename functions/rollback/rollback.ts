import type { Candidate, Champion, Deployment, RunContext } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { clearChampion, getChampionAlias, moveChampion } from '#stores/champion.ts';
import { getVersion, setVersionStatus } from '#stores/versions.ts';

export interface RollbackEvent {
  run: RunContext;
  /** The verified-worse deploy to take back. Absent when Deploy itself failed: then the registry says. */
  deployment?: Deployment;
  /** The champion before this run (undo after a failed Deploy). */
  champion?: Champion | null;
  /** The candidate Deploy was moving the alias to (undo after a failed Deploy). */
  candidate?: Candidate;
  /** Why, for the alias history. @default after a failed verification or a failed Deploy */
  reason?: string;
}

export interface RollbackResult {
  restoredVersion: number | null;
  removedVersion: number;
  at: string;
}

/**
 * The deploy a failed Deploy step left behind, read from the registry: the alias points at the candidate and
 * this execution moved it (the step failed after its write). Null when the alias never moved.
 */
async function unfinishedDeployment(ctx: KaizenContext, event: RollbackEvent): Promise<Deployment | null> {
  const { run, candidate, champion } = event;
  if (!candidate) return null;
  const alias = await getChampionAlias(ctx, run.modelId);
  if (alias?.version !== candidate.version || alias.executionName !== run.executionName) return null;
  return {
    version: candidate.version,
    previousVersion: champion?.version ?? null,
    deployedAt: alias.updatedAt ?? '',
    bakeSeconds: 0,
  };
}

/**
 * Moves the champion alias back to the version it had before this run's deploy: after a failed verification,
 * or (without `deployment`) after a Deploy that failed once it had moved the alias. Returns null when there is
 * nothing to take back. Idempotent per execution, so a retried step does not conflict with its own write.
 */
export async function rollback(ctx: KaizenContext, event: RollbackEvent): Promise<RollbackResult | null> {
  const { run } = event;
  const deployment = event.deployment ?? (await unfinishedDeployment(ctx, event));
  if (!deployment) return null;
  const verified = event.deployment !== undefined;
  const previous = deployment.previousVersion;
  const common = { modelId: run.modelId, expected: deployment.version, executionName: run.executionName };
  let at: string;
  if (previous === null) {
    const reason =
      event.reason ??
      (verified
        ? 'rolled back: the first version failed verification'
        : 'rolled back: the deploy of the first version failed');
    at = (await clearChampion(ctx, { ...common, reason })).at;
  } else {
    const record = await getVersion(ctx, run.modelId, previous);
    if (!record)
      throw new Error(`cannot roll back ${run.modelId}: version ${previous} is not in the registry`);
    const change = await moveChampion(ctx, {
      ...common,
      version: previous,
      artifactKey: record.artifactKey,
      reason:
        event.reason ?? `rolled back from v${deployment.version}${verified ? '' : ': its deploy failed'}`,
      since: run.asOf,
    });
    at = change.at;
    await setVersionStatus(ctx, run.modelId, previous, 'champion');
  }
  await setVersionStatus(ctx, run.modelId, deployment.version, 'rolled-back');
  return { restoredVersion: previous, removedVersion: deployment.version, at };
}
