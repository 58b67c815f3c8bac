import { extname } from 'node:path';
import { scoreAll } from '#domain/metrics.ts';
import type { ModelPolicy } from '#domain/policy.ts';
import type { Candidate, Champion, RunContext } from '#domain/run.ts';
import { column } from '#domain/table.ts';
import { predictTable, trainLogisticRegression } from '#domain/trainer.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { putJson, putText } from '#stores/artifacts.ts';
import { getVersion, registerVersion } from '#stores/versions.ts';
import { readRunDataset } from './data.ts';

export interface TrainEvent {
  run: RunContext;
  policy: ModelPolicy;
  champion: Champion | null;
}

/**
 * Retrains the model on the policy's dataset (with `{date}`, the daily objects of the training window before
 * the run's time), writes the artifact, and registers a candidate version with its lineage (dataset keys and
 * hash, parent version, parameters, training metrics). A retrain on exactly the champion's data says so.
 */
export async function train(ctx: KaizenContext, event: TrainEvent): Promise<Candidate> {
  const { run, policy, champion } = event;
  const { dataset, features, label, params } = policy.training;
  const {
    keys,
    text,
    sha256: hash,
    table,
  } = await readRunDataset(ctx, dataset, run.asOf, policy.training.window, policy);
  const model = trainLogisticRegression(table, features, label, params);
  const trainingMetrics = scoreAll(column(table, label), predictTable(model, table));
  // Keyed by execution, written before the version exists, so a retried step never leaves a version without its artifact.
  const prefix = `models/${run.modelId}/${run.executionName}`;
  const artifactKey = `${prefix}/model.json`;
  // The dataset key is overwritten by producers; the snapshot is the lineage and the drift reference of this version.
  const snapshotKey = `${prefix}/training-data${extname(dataset) || '.csv'}`;
  await putText(ctx, snapshotKey, text, 'text/csv');
  await putJson(ctx, artifactKey, model);
  const championData = champion ? (await getVersion(ctx, run.modelId, champion.version))?.dataset : undefined;
  const record = await registerVersion(ctx, run.modelId, () => ({
    artifactKey,
    parentVersion: champion?.version ?? null,
    dataset: {
      key: dataset,
      sha256: hash,
      rows: table.rows,
      snapshotKey,
      ...(keys.length > 1 ? { keys } : {}),
      ...(championData?.sha256 === hash ? { sameAsChampion: true } : {}),
    },
    params,
    trainingMetrics,
    executionName: run.executionName,
    trainedAsOf: run.asOf,
  }));
  const { version, parentVersion } = record;
  return { version, artifactKey, parentVersion, dataset: record.dataset, params, trainingMetrics };
}
