import { ObjectNotFoundError } from '#contracts/errors.ts';
import type { ColumnReader } from '#datasets/index.ts';
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
): Promise<(Observation | QualityRecord)[]> {
  const columns = monitoring.features.map(({ name, type }) => ({ name, type }));
  // The window's dataset first: until it arrives, a check costs one GET and nothing else.
  let current: ColumnReader;
  try {
    current = await openDatasetFromS3(ctx, currentDatasetKey(monitoring.current, window.start), columns);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return [];
    throw error;
  }
  let result: MonitoringResult;
  try {
    if (current.rows === 0) return [];
    const referenceKeyName = await referenceKey(ctx, modelId, monitoring, champion);
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
