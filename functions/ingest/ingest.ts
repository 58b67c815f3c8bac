/**
 * The one way observations come in: `kaizen ingest`, the S3 drop folder, the HTTPS API, the EventBridge rule
 * and the CloudWatch pull all validate and store rows here.
 */
import { ModelNotFoundError } from '#contracts/errors.ts';
import { durationSeconds } from '#domain/duration.ts';
import { type IngestOptions, type IngestResult, type IngestRow, ingestRows } from '#domain/ingest.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { putObservationsOnce } from '#stores/observations.ts';
import { getPolicy } from '#stores/policies.ts';

/**
 * Validates `rows` as `kaizen ingest` does and stores the valid ones idempotently per (model, metric or feature,
 * timestamp, version): a row already stored with the same values is `unchanged`, one with other values is
 * rejected as a conflict and the stored value kept. Policies are read once per model the rows name; a model's
 * `retention` sets the rows' TTL.
 */
export async function ingestObservations(
  ctx: KaizenContext,
  rows: AsyncIterable<IngestRow>,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const policies = new Map<string, Promise<ModelPolicy | undefined>>();
  const retention = new Map<string, number | undefined>();
  const policyOf = (modelId: string) => {
    let policy = policies.get(modelId);
    if (!policy) {
      policy = getPolicy(ctx, modelId).then(
        (found) => {
          retention.set(
            modelId,
            found.retention === undefined ? undefined : durationSeconds(found.retention),
          );
          return found;
        },
        (error: Error) => {
          if (error instanceof ModelNotFoundError) return undefined;
          throw error;
        },
      );
      policies.set(modelId, policy);
    }
    return policy;
  };
  return ingestRows(
    rows,
    policyOf,
    (batch) => putObservationsOnce(ctx, batch, (modelId) => retention.get(modelId)),
    options,
  );
}

/** Rows of values already decoded (an API batch, an event's detail), numbered from 1 in their order. */
export async function* valueRows(values: readonly unknown[]): AsyncGenerator<IngestRow> {
  for (const [index, value] of values.entries()) yield { line: index + 1, value };
}
