import { extname } from 'node:path';
import { type Scores, scoreAll } from '#domain/metrics.ts';
import { runPrefix } from '#domain/names.ts';
import { builtinTraining, type ModelPolicy } from '#domain/policy.ts';
import type { Candidate, Champion, RunContext } from '#domain/run.ts';
import { column } from '#domain/table.ts';
import { type LogisticModel, predictTable, trainLogisticRegression } from '#domain/trainer.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { putJson } from '#stores/artifacts.ts';
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
  const { dataset, features, label, params, window } = builtinTraining(policy);
  // Keyed by execution, written before the version exists, so a retried step never leaves a version without its artifact.
  const prefix = runPrefix(run);
  const artifactKey = `${prefix}/model.json`;
  // The dataset key is overwritten by producers; the snapshot is the lineage and the drift reference of this version.
  const snapshotKey = `${prefix}/training-data${extname(dataset) || '.csv'}`;
  const data = await readRunDataset(ctx, dataset, run.asOf, window, policy, { snapshotKey });
  const { keys, sha256: hash, table } = data;
  let model: LogisticModel;
  let trainingMetrics: Scores;
  try {
    model = trainLogisticRegression(table, features, label, params);
    trainingMetrics = scoreAll(column(table, label), predictTable(model, table));
  } catch (error) {
    // A run whose training fails keeps no snapshot.
    await data.snapshot?.abort();
    throw error;
  }
  await data.snapshot?.commit();
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
