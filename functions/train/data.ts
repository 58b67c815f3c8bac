import { concatenateCsv, parseNumericTable } from '#datasets/index.ts';
import { datedKeys } from '#domain/dated-keys.ts';
import { durationSeconds } from '#domain/duration.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import type { NumericTable } from '#domain/table.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getText, sha256 } from '#stores/artifacts.ts';

/** A CSV dataset of the bucket as read for a run: the objects it came from, their rows as one text, the table. */
export interface RunDataset {
  /** The object keys read, oldest first (one, unless the key names daily objects). */
  keys: string[];
  text: string;
  /** SHA-256 (hex) of the joined text: the data's identity in lineage and gate reasons. */
  sha256: string;
  /** The requested columns as numbers. */
  table: NumericTable;
}

/**
 * Reads the CSV a key template names for a run as of `asOf`: the one object, or with `{date}` every daily
 * object of `window` (default: the policy's monitoring window) before `asOf`, joined under one header, and
 * parses the training features and label. A missing object fails with `ObjectNotFoundError` naming its key.
 */
export async function readRunDataset(
  ctx: KaizenContext,
  template: string,
  asOf: string,
  window: string | undefined,
  policy: ModelPolicy,
): Promise<RunDataset> {
  const keys = datedKeys(template, asOf, durationSeconds(window ?? policy.window));
  const parts = [];
  for (const key of keys)
    parts.push({ source: `s3://${ctx.config.bucket}/${key}`, text: await getText(ctx, key) });
  const text = concatenateCsv(parts);
  const { features, label } = policy.training;
  const table = await parseNumericTable(text, [...features, label], {
    source:
      keys.length === 1
        ? `s3://${ctx.config.bucket}/${template}`
        : `${keys.length} daily objects of ${template}`,
  });
  return { keys, text, sha256: sha256(text), table };
}
