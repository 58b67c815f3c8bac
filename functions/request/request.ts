import { TRAINING_REQUESTED } from '#contracts/workflows.ts';
import type { RunContext } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { putPendingTask } from '#stores/tasks.ts';
import type { TrainingRequest } from '../prepare/training.ts';

export interface RequestEvent {
  /** The task token Step Functions waits on (`$$.Task.Token`). */
  token: string;
  request: TrainingRequest;
  run: RunContext;
}

/**
 * Asks an external trainer to train: records the pending task (so `kaizen tasks` lists it and the run's end
 * closes it) and publishes the request with its token on the event bus. The workflow then waits for the
 * token's answer; this function's own result is ignored.
 */
export async function request(
  ctx: KaizenContext,
  event: RequestEvent,
  now = new Date(),
): Promise<{ requested: string }> {
  const { token, request, run } = event;
  await putPendingTask(ctx, {
    modelId: run.modelId,
    executionName: run.executionName,
    token,
    requestedAt: now.toISOString(),
    deadline: new Date(now.getTime() + request.timeoutSeconds * 1000).toISOString(),
    request: { ...request },
  });
  await ctx.events.publish(TRAINING_REQUESTED, { ...request, taskToken: token });
  return { requested: run.executionName };
}
