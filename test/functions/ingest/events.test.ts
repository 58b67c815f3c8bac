import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '#domain/policy.ts';
import { EVENTS_FILE } from '#local/events.ts';
import { queryObservations } from '#stores/observations.ts';
import { putPolicy } from '#stores/policies.ts';
import { handler } from '../../../functions/ingest/handler.ts';
import { useLocalStack } from '../../support/stack.ts';

// Events as EventBridge delivers them to a rule's Lambda target.
const event = (id: string, detail: unknown) => ({
  version: '0',
  id,
  'detail-type': 'Kaizen Observation',
  source: 'com.example.checkout',
  account: '123456789012',
  time: '2026-11-20T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});
const kpi = (extra: Record<string, unknown> = {}) => ({
  type: 'kpi',
  modelId: 'ranker',
  metric: 'ctr',
  value: 0.04,
  count: 5000,
  timestamp: '2026-11-20T09:00:00Z',
  ...extra,
});
const lambdaContext = { functionName: 'ingest', awsRequestId: 'r' } as Context;

describe('Kaizen Observation events (the rule on the stack bus targets the ingest function)', () => {
  const local = useLocalStack();
  const ingest = () => handler.withContext(local.ctx);
  const stored = () =>
    queryObservations(local.ctx, 'ranker', { start: '2026-11-20T00:00:00Z', end: '2026-11-21T00:00:00Z' });
  const published = async () =>
    (await readFile(join(local.home, EVENTS_FILE), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));

  it('stores one row sent as the detail, and many sent as detail.observations; a redelivery stores nothing twice', async () => {
    await putPolicy(
      local.ctx,
      parsePolicy({
        modelId: 'ranker',
        kpis: [{ metric: 'ctr', floor: 0.01 }],
        training: { dataset: 'd.csv', label: 'y', features: ['a'] },
        evaluation: { holdout: 'h.csv' },
      }),
    );
    expect(await ingest()(event('e1', kpi()), lambdaContext)).toEqual({
      event: 'e1',
      stored: 1,
      unchanged: 0,
      rejected: 0,
    });
    const many = event('e2', {
      observations: [kpi(), kpi({ timestamp: '2026-11-20T10:00:00Z', value: 0.05 })],
    });
    expect(await ingest()(many, lambdaContext)).toEqual({
      event: 'e2',
      stored: 1,
      unchanged: 1,
      rejected: 0,
    });
    expect(await ingest()(many, lambdaContext)).toEqual({
      event: 'e2',
      stored: 0,
      unchanged: 2,
      rejected: 0,
    });
    expect((await stored()).map((row) => row.timestamp)).toEqual([
      '2026-11-20T09:00:00.000Z',
      '2026-11-20T10:00:00.000Z',
    ]);
    expect(await published()).toEqual([]);
  });

  it('publishes the rejected rows of an event, by line in detail.observations, and stores the good ones', async () => {
    const mixed = event('e3', {
      observations: [kpi({ timestamp: '2026-11-20T11:00:00Z' }), kpi({ count: -1 }), kpi({ value: 0.5 })],
    });
    expect(await ingest()(mixed, lambdaContext)).toEqual({
      event: 'e3',
      stored: 1,
      unchanged: 0,
      rejected: 2,
    });
    const [rejection] = await published();
    expect(rejection).toMatchObject({
      'detail-type': 'Kaizen Observations Rejected',
      source: 'kaizen-loop',
      detail: {
        path: 'events',
        eventId: 'e3',
        eventSource: 'com.example.checkout',
        stored: 1,
        rejectedCount: 2,
        rejected: [
          { line: 2, reason: 'count: must not be negative' },
          { line: 3, reason: expect.stringContaining('(value: stored 0.04, sent 0.5)') },
        ],
      },
    });
  });
});
