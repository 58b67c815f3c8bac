import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, S3Event } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { METRICS_TTL_ATTRIBUTE } from '#contracts/tables.ts';
import { parsePolicy } from '#domain/policy.ts';
import { notificationKey } from '#local/integrations/s3-notifications.ts';
import { REGISTRY_KEYS } from '#stores/keys.ts';
import { queryMetricRows, queryObservations } from '#stores/observations.ts';
import { listModels, putPolicy } from '#stores/policies.ts';
import { handler } from '../../../functions/ingest/handler.ts';
import { useLocalStack } from '../../support/stack.ts';

const policy = (modelId: string, current?: string, extra: Record<string, unknown> = {}) =>
  parsePolicy({
    modelId,
    kpis: [{ metric: 'ctr', floor: 0.01 }],
    training: { dataset: 'd.csv', label: 'y', features: ['a'] },
    evaluation: { holdout: 'h.csv' },
    ...(current
      ? { monitoring: { reference: 'ref.csv', current, features: [{ name: 'a', type: 'numeric' }] } }
      : {}),
    ...extra,
  });
const lambdaContext = { functionName: 'ingest', awsRequestId: 'r' } as Context;
/** The notification S3 sends the ingest function for an object created under `datasets/`. */
const created = (key: string, size: number): S3Event =>
  ({
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        eventTime: '2026-11-19T23:10:00.000Z',
        s3: { bucket: { name: 'b' }, object: { key: notificationKey(key), size } },
      },
    ],
  }) as unknown as S3Event;
const day = { start: '2026-11-19T00:00:00.000Z', end: '2026-11-20T00:00:00.000Z' };

describe('dataset arrivals (S3 notifications of datasets/ to the ingest function)', () => {
  const local = useLocalStack();
  const subscription = (prefix: string, modelId: string) =>
    local.ctx.ddb
      .send(
        new GetCommand({
          TableName: local.ctx.config.registryTable,
          Key: { pk: REGISTRY_KEYS.arrivals(prefix), sk: modelId },
        }),
      )
      .then((output) => output.Item);

  it('subscribes a model with its template, moves the subscription with it, and drops it without monitoring', async () => {
    await putPolicy(local.ctx, policy('mover', 'datasets/a/{date}.csv'));
    expect(await subscription('datasets/a/', 'mover')).toMatchObject({ template: 'datasets/a/{date}.csv' });
    await putPolicy(local.ctx, policy('mover', 'datasets/b/{date} x.csv'));
    expect(await subscription('datasets/a/', 'mover')).toBeUndefined();
    expect(await subscription('datasets/b/', 'mover')).toMatchObject({ template: 'datasets/b/{date} x.csv' });
    expect((await listModels(local.ctx)).find((m) => m.modelId === 'mover')?.arrivalPrefix).toBe(
      'datasets/b/',
    );
    await putPolicy(local.ctx, policy('mover'));
    expect(await subscription('datasets/b/', 'mover')).toBeUndefined();
    expect((await listModels(local.ctx)).find((m) => m.modelId === 'mover')?.arrivalPrefix).toBeUndefined();
  });

  it('records the arrival for each model whose window it is, once, with the model’s retention', async () => {
    await putPolicy(local.ctx, policy('churn', 'datasets/traffic/{date}/churn.csv', { retention: 'P30D' }));
    await putPolicy(local.ctx, policy('fraud', 'datasets/traffic/{date}/fraud.csv'));
    await putPolicy(local.ctx, policy('spaced', 'datasets/my models/{date}.csv'));
    const ingest = handler.withContext(local.ctx);
    const key = 'datasets/traffic/2026-11-19/churn.csv';
    // S3 delivers at least once: a repeated notification rewrites the same row.
    for (let i = 0; i < 2; i += 1) {
      expect(await ingest(created(key, 1234), lambdaContext)).toEqual({
        files: [],
        arrivals: [{ key, models: ['churn'] }],
      });
    }
    const { rows, arrivals } = await queryMetricRows(local.ctx, 'churn', day);
    expect(rows).toEqual([]);
    expect(arrivals).toEqual([
      {
        type: 'arrival',
        modelId: 'churn',
        key,
        bytes: 1234,
        timestamp: day.start,
        arrivedAt: '2026-11-19T23:10:00.000Z',
        [METRICS_TTL_ATTRIBUTE]: Date.parse(day.start) / 1000 + 30 * 86_400,
      },
    ]);
    // Observations readers never see arrival rows.
    expect(await queryObservations(local.ctx, 'churn', day)).toEqual([]);
    expect((await queryMetricRows(local.ctx, 'fraud', day)).arrivals).toEqual([]);

    // Keys arrive URL-encoded, with + for spaces.
    const spaced = 'datasets/my models/2026-11-19.csv';
    expect(await ingest(created(spaced, 5), lambdaContext)).toEqual({
      files: [],
      arrivals: [{ key: spaced, models: ['spaced'] }],
    });
    // An object nobody awaits is recorded nowhere.
    expect(await ingest(created('datasets/traffic/2026-11-19/other.csv', 5), lambdaContext)).toEqual({
      files: [],
      arrivals: [{ key: 'datasets/traffic/2026-11-19/other.csv', models: [] }],
    });
  });
});
