import { ObjectNotFoundError } from '#contracts/errors.ts';
import { datasetFormat } from '#datasets/dataset-format.ts';
import type { ColumnReader } from '#datasets/index.ts';
import { datasetReadCost, datasetReadSeconds } from '#domain/admission.ts';
import { computeMonitoringByFeature, currentDatasetKey, type MonitoringResult } from '#domain/monitoring.ts';
import {
  COMPUTED_ORIGIN,
  type ComputedDrift,
  type Observation,
  storableNumber,
} from '#domain/observations.ts';
import type { MonitoringPolicy } from '#domain/policy.ts';
import type { Champion, Window } from '#domain/run.ts';
import type { QualityRecord } from '#domain/windows.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { openDatasetFromS3 } from '#stores/datasets.ts';
import { putObservations } from '#stores/observations.ts';
import { getVersion } from '#stores/versions.ts';

/**
 * How a batch of checks (a sweep page) reaches datasets: it says whether an object exists, and its size, from
 * one LIST per shared folder, and admits each model's dataset read by its estimated memory.
 */
export interface DatasetGate {
  /** The object's size in bytes, or undefined when it does not exist. */
  find(key: string): Promise<number | undefined>;
  /**
   * Runs `work` once its estimated peak bytes fit beside the reads in flight, or gives `otherwise` when its
   * estimated time would not end before the batch's deadline (a later check computes the window).
   */
  run<R>(estimate: { bytes: number; seconds: number }, work: () => Promise<R>, otherwise: R): Promise<R>;
}

/** `monitoring.reference` value that means "the data the current champion was trained on". */
export const CHAMPION_REFERENCE = '@champion';

/** The reference dataset's key: a fixed key, or the champion's training-data snapshot. */
export async function referenceKey(
  ctx: KaizenContext,
  modelId: string,
  monitoring: MonitoringPolicy,
  champion: Champion | null,
) {
  if (monitoring.reference !== CHAMPION_REFERENCE) return monitoring.reference;
  if (!champion) return undefined;
  return (await getVersion(ctx, modelId, champion.version))?.dataset.snapshotKey;
}

/**
 * Computes the window's drift and data quality from the datasets in the bucket and stores them next to the
 * KPIs (drift rows carry the engine's verdict; one quality record per window, which also marks the window as
 * computed). No current dataset, or no reference yet (no champion), yields nothing: there is nothing to judge.
 */
export async function monitorDatasets(
  ctx: KaizenContext,
  modelId: string,
  monitoring: MonitoringPolicy,
  champion: Champion | null,
  window: Window,
  /** The policy's retention in seconds: computed rows expire with the model's other rows. */
  retentionSeconds?: number,
  /** A sweep page's gate; without one (Monitor) the window's GET says whether it exists. */
  gate?: DatasetGate,
  /** The window dataset's size when its arrival row already says it exists (the gate need not look). */
  arrivedBytes?: number,
): Promise<(Observation | QualityRecord)[]> {
  const currentKey = currentDatasetKey(monitoring.current, window.start);
  const compute = (reference: () => Promise<string | undefined>) =>
    computeDatasets(ctx, modelId, monitoring, window, currentKey, reference, retentionSeconds);
  if (!gate) return compute(() => referenceKey(ctx, modelId, monitoring, champion));
  const currentBytes = arrivedBytes ?? (await gate.find(currentKey));
  if (currentBytes === undefined) return [];
  const reference = await referenceKey(ctx, modelId, monitoring, champion);
  const objects = [{ bytes: currentBytes, format: datasetFormat(currentKey) }];
  if (reference) objects.push({ bytes: (await gate.find(reference)) ?? 0, format: datasetFormat(reference) });
  const estimate = {
    bytes: datasetReadCost(monitoring.features.length, objects),
    seconds: datasetReadSeconds(objects),
  };
  return gate.run(estimate, () => compute(async () => reference), []);
}

async function computeDatasets(
  ctx: KaizenContext,
  modelId: string,
  monitoring: MonitoringPolicy,
  window: Window,
  currentKey: string,
  /** The reference's key, asked for once the window's dataset is open. */
  referenceKeyOf: () => Promise<string | undefined>,
  retentionSeconds: number | undefined,
): Promise<(Observation | QualityRecord)[]> {
  const columns = monitoring.features.map(({ name, type }) => ({ name, type }));
  // The window's dataset first: until it arrives, a check costs one GET and nothing else.
  let current: ColumnReader;
  try {
    current = await openDatasetFromS3(ctx, currentKey, columns);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return [];
    throw error;
  }
  let result: MonitoringResult;
  try {
    if (current.rows === 0) return [];
    const referenceKeyName = await referenceKeyOf();
    if (!referenceKeyName) return [];
    const reference = await openDatasetFromS3(ctx, referenceKeyName, columns);
    try {
      // Feature by feature: two columns in memory at a time, whatever the datasets' width.
      result = await computeMonitoringByFeature(monitoring, reference, current);
    } finally {
      await reference.close();
    }
  } finally {
    await current.close();
  }
  const timestamp = window.start;
  const records: (Observation | QualityRecord)[] = result.features
    .filter((feature) => feature.status === 'ok' && feature.value !== null)
    .map(
      (feature): ComputedDrift => ({
        type: 'drift' as const,
        origin: COMPUTED_ORIGIN,
        modelId,
        feature: feature.feature,
        method: feature.method,
        // Tiny p-values (1e-300) are beyond DynamoDB's number range: stored as 0.
        score: storableNumber(feature.value as number),
        drifted: feature.drifted,
        threshold: storableNumber(feature.threshold),
        ...(feature.pValue === undefined ? {} : { pValue: storableNumber(feature.pValue) }),
        timestamp,
      }),
    );
  const insufficient = result.quality.status === 'insufficient-data';
  records.push({
    type: 'quality',
    modelId,
    // Too few rows is insufficient data, not bad data: it must not block retraining.
    passed: insufficient || result.quality.passed,
    rows: result.rows,
    failures: insufficient
      ? []
      : result.quality.findings
          .filter((f) => !f.passed)
          .map((f) =>
            f.feature && !f.message.includes(f.feature) ? `${f.feature}: ${f.message}` : f.message,
          ),
    timestamp,
  });
  await putObservations(ctx, records, () => retentionSeconds);
  return records;
}
