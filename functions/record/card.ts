import { buildModelCard, cardKeys, type ModelCard, renderModelCard } from '#domain/card.ts';
import type { RunRecord } from '#domain/record.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { putJson, putText } from '#stores/artifacts.ts';
import { aliasHistory } from '#stores/champion.ts';
import { listRuns } from '#stores/runs.ts';
import { getVersion } from '#stores/versions.ts';

/** How many of the model's latest run records a card reads (its training run and the deploys after it). */
const CARD_RUNS = 200;

/** A version's model card as of now, from the registry and the run records; undefined for an unknown version. */
export async function modelCard(
  ctx: KaizenContext,
  modelId: string,
  version: number,
  description: string | undefined,
  now = new Date().toISOString(),
): Promise<ModelCard | undefined> {
  const record = await getVersion(ctx, modelId, version);
  if (!record) return undefined;
  const [runs, aliases] = await Promise.all([listRuns(ctx, modelId, CARD_RUNS), aliasHistory(ctx, modelId)]);
  return buildModelCard({ description, version: record, runs: runs as RunRecord[], aliases, now });
}

/** Writes a card, JSON and Markdown, in the folder of the run that trained the version (beside its artifact). */
export async function writeModelCard(
  ctx: KaizenContext,
  card: ModelCard,
): Promise<{ json: string; markdown: string }> {
  const keys = cardKeys(card.modelId, card.executionName);
  await putJson(ctx, keys.json, card);
  await putText(ctx, keys.markdown, renderModelCard(card), 'text/markdown');
  return keys;
}
