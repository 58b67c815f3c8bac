import { createHash } from 'node:crypto';

/** Step Functions' limit on execution names. */
export const MAX_EXECUTION_NAME = 80;

/**
 * `<kind>-<modelId>-<parts...>`, at most 80 characters. A model id too long for that is shortened to its
 * head, `~` and 8 hex characters of its SHA-256, so the time and any suffix are never cut off and names stay
 * unique for every valid id (1-63 characters).
 */
export function executionName(kind: string, modelId: string, ...parts: string[]): string {
  const tail = parts.map((part) => `-${part}`).join('');
  const room = MAX_EXECUTION_NAME - kind.length - 1 - tail.length;
  if (room < 12) throw new RangeError(`execution name parts leave no room for the model id: ${kind}${tail}`);
  const id =
    modelId.length <= room
      ? modelId
      : `${modelId.slice(0, room - 9)}~${createHash('sha256').update(modelId).digest('hex').slice(0, 8)}`;
  return `${kind}-${id}${tail}`;
}

/** `2026-11-20T00:00:00.000Z` -> `20261120T000000Z`: the compact UTC stamp of execution names. */
export function compactStamp(iso: string): string {
  return new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** SageMaker's limit and pattern for training and processing job names. */
export const MAX_JOB_NAME = 63;

/**
 * A SageMaker job, model or endpoint-config name, `kaizen-<kind>-<model>-<12 hex of sha256(scope)>` (scope: the bucket and execution,
 * so every execution and stack gets its own), at most 63 characters of `[a-zA-Z0-9-]`. The `kaizen-` prefix
 * is what the state machine's IAM policy is scoped to.
 */
export function sageMakerJobName(
  kind: 'train' | 'score' | 'model' | 'config',
  modelId: string,
  scope: string,
): string {
  const hash = createHash('sha256').update(scope).digest('hex').slice(0, 12);
  const room = MAX_JOB_NAME - `kaizen-${kind}--${hash}`.length;
  const slug = modelId
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, room)
    .replace(/^-+|-+$/g, '');
  return `kaizen-${kind}-${slug || 'model'}-${hash}`;
}

/**
 * Where a run keeps what it writes for its model (artifacts, snapshots, manifests, scores, the model card):
 * `models/<model>/<execution>`, one folder per execution, so a retried step writes the same keys again.
 */
export function runPrefix(run: { modelId: string; executionName: string }): string {
  return `models/${run.modelId}/${run.executionName}`;
}
