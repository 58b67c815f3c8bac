import { KaizenError } from '#contracts/errors.ts';
import { analyze } from '#domain/analyze.ts';
import { awaitsArrivals } from '#domain/arrivals.ts';
import { currentDatasetKey } from '#domain/dated-keys.ts';
import { durationSeconds, windowBoundary } from '#domain/duration.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import type { Champion, Decision, ModelCheck } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { automatedExecutionName, startLoopOnce } from '#stores/starts.ts';
import { retrainsBetween } from '#stores/versions.ts';
import type { DatasetGate } from '../monitor/datasets.ts';
import { readEvidence } from '../monitor/monitor.ts';

/**
 * Evaluates a model's policy for the window ending at `asOf` exactly as the loop's Analyze step would
 * (without taking the lock: the loop it starts does) and starts the loop when the decision is `retrain`.
 */
export async function checkModel(
  ctx: KaizenContext,
  /** `arrivalPrefix`: the model is subscribed to its window datasets' arrivals (`ModelEntry.arrivalPrefix`). */
  model: { modelId: string; policy: ModelPolicy; arrivalPrefix?: string },
  champion: Champion | null,
  asOf: string,
  source: string,
  /** A sweep page's dataset gate: LISTed windows and memory-bounded reads. */
  gate?: DatasetGate,
): Promise<ModelCheck> {
  const { modelId, policy } = model;
  if (!champion && source === 'event') {
    // New data alone does not bootstrap a model: its first version comes from the schedule or a person.
    const summary = 'no champion yet: the first version is trained by the scheduled sweep or `kaizen run`';
    return { modelId, asOf, action: 'none', summary };
  }
  // With a page's gate, a subscribed model learns of its window's dataset from its arrival row.
  const announced = gate !== undefined && awaitsArrivals(policy, model.arrivalPrefix);
  const { observed, history } = await readEvidence(ctx, modelId, policy, champion, asOf, gate, announced);
  const base = { policy, asOf, observed, history, champion, force: false };
  let decision: Decision = analyze(base);
  if (decision.action === 'retrain') {
    // The budget needs the registry's versions: read them only for the rare model that wants to retrain.
    const from = new Date(Date.parse(asOf) - durationSeconds(policy.budget.period) * 1000).toISOString();
    decision = analyze({
      ...base,
      retrains: await retrainsBetween(ctx, modelId, from, asOf, policy.budget.maxRetrains),
    });
  }
  const check: ModelCheck = { modelId, asOf, action: decision.action, summary: decision.summary };
  if (decision.action === 'retrain') {
    const name = automatedExecutionName(modelId, asOf);
    check.execution = name;
    check.start = await startLoopOnce(ctx, name, { modelId, force: false, dryRun: false, asOf }, source);
  }
  return check;
}

/** Longest error text kept in a check record. */
const MAX_ERROR_TEXT = 500;

/**
 * Checks one model, turning a non-retryable failure into that model's `error` check so one bad model (a
 * malformed dataset, a broken policy) does not fail the whole sweep page or stream batch. Retryable errors
 * (throttling) still fail the call, so Step Functions or the stream mapping retries it.
 */
export async function checkModelSafely(...args: Parameters<typeof checkModel>): Promise<ModelCheck> {
  try {
    return await checkModel(...args);
  } catch (error) {
    if (error instanceof KaizenError && error.retryable) throw error;
    return checkFailed(args[1].modelId, args[3], error);
  }
}

/** The `error` check of a model whose check failed with `error` (its name and message, bounded). */
export function checkFailed(modelId: string, asOf: string, error: unknown): ModelCheck {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  const summary = `check failed: ${name}: ${message}`.slice(0, MAX_ERROR_TEXT);
  return { modelId, asOf, action: 'error', summary };
}

/** `asOf` of automated checks: the end of the last complete window (`floor`) or of the one containing `at`. */
export function automatedAsOf(policy: ModelPolicy, at: string | Date, mode: 'floor' | 'ceil'): string {
  return windowBoundary(at, durationSeconds(policy.window), mode);
}

/**
 * The key of the window dataset a check of `policy` at `asOf` looks for in the bucket, if its policy monitors
 * datasets and it is not told of their arrival (`arrivalPrefix`, see {@link checkModel}).
 */
export function windowDatasetKey(
  policy: ModelPolicy,
  asOf: string,
  arrivalPrefix?: string,
): string | undefined {
  if (!policy.monitoring || awaitsArrivals(policy, arrivalPrefix)) return undefined;
  const start = new Date(Date.parse(asOf) - durationSeconds(policy.window) * 1000);
  return currentDatasetKey(policy.monitoring.current, start);
}
