import { durationSeconds } from '#domain/duration.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import type { Candidate, Champion, Deployment, RunContext } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { moveChampion } from '#stores/champion.ts';
import { setVersionStatus } from '#stores/versions.ts';

export interface DeployEvent {
  run: RunContext;
  policy: ModelPolicy;
  champion: Champion | null;
  candidate: Candidate;
}

/** Moves the champion alias to the candidate, only if the champion is still the one this run started from. */
export async function deploy(ctx: KaizenContext, event: DeployEvent): Promise<Deployment> {
  const { run, policy, champion, candidate } = event;
  const change = await moveChampion(ctx, {
    modelId: run.modelId,
    version: candidate.version,
    artifactKey: candidate.artifactKey,
    expected: champion?.version ?? null,
    reason: 'promoted by the gate',
    executionName: run.executionName,
    since: run.asOf,
  });
  await setVersionStatus(ctx, run.modelId, candidate.version, 'champion');
  if (champion) await setVersionStatus(ctx, run.modelId, champion.version, 'retired');
  return {
    version: candidate.version,
    previousVersion: champion?.version ?? null,
    deployedAt: change.at,
    bakeSeconds: durationSeconds(policy.rollout.bakePeriod),
  };
}
