import { describe, expect, it } from 'vitest';
import {
  type ArrivalSubscription,
  arrivalPrefix,
  arrivalsOf,
  arrivalTimestamp,
  awaitsArrivals,
  datePositions,
} from '#domain/arrivals.ts';

describe('arrivalPrefix', () => {
  it.each([
    ['datasets/churn/traffic/{date}.csv', 'datasets/churn/traffic/'],
    ['datasets/traffic/{date}/churn.csv', 'datasets/traffic/'],
    ['datasets/churn-{date}.parquet', 'datasets/churn-'],
    ['datasets/{date}/{date}.csv', 'datasets/'],
    // One fixed key: a check looks for it itself.
    ['datasets/churn/current.csv', undefined],
    // Outside the announced folder.
    ['traffic/{date}/churn.csv', undefined],
    ['models/churn/{date}.csv', undefined],
  ])('%s -> %s', (template, prefix) => {
    expect(arrivalPrefix(template)).toBe(prefix);
  });
});

describe('datePositions', () => {
  it.each([
    ['datasets/churn/2026-11-19.csv', [{ prefix: 'datasets/churn/', date: '2026-11-19' }]],
    [
      'datasets/2026-11-19/model-2025-01-01.csv',
      [
        { prefix: 'datasets/', date: '2026-11-19' },
        { prefix: 'datasets/2026-11-19/model-', date: '2025-01-01' },
      ],
    ],
    // Names no day.
    ['datasets/churn/2026-02-30.csv', []],
    ['datasets/churn/2026-13-01.csv', []],
    ['datasets/churn/20261119.csv', []],
    ['datasets/churn/current.csv', []],
    // Overlapping candidates: only well-formed days count.
    ['datasets/x/12026-11-19.csv', [{ prefix: 'datasets/x/1', date: '2026-11-19' }]],
  ])('%s', (key, positions) => {
    expect(datePositions(key)).toEqual(positions);
  });
});

describe('arrivalsOf', () => {
  const subscriptions: Record<string, ArrivalSubscription[]> = {
    'datasets/traffic/': [
      { modelId: 'churn', template: 'datasets/traffic/{date}/churn.csv', retentionSeconds: 86_400 },
      { modelId: 'fraud', template: 'datasets/traffic/{date}/fraud.csv' },
      { modelId: 'stale', template: 'datasets/traffic/{date}/churn.parquet' },
    ],
    'datasets/churn-': [{ modelId: 'churn2', template: 'datasets/churn-{date}.csv' }],
  };
  const candidates = (prefix: string) => subscriptions[prefix] ?? [];
  const object = (key: string) => ({ key, bytes: 42, arrivedAt: '2026-11-19T23:10:00.000Z' });

  it('gives one row to each model whose template names exactly the key on its date', () => {
    expect(arrivalsOf(object('datasets/traffic/2026-11-19/churn.csv'), candidates)).toEqual([
      {
        type: 'arrival',
        modelId: 'churn',
        key: 'datasets/traffic/2026-11-19/churn.csv',
        bytes: 42,
        timestamp: '2026-11-19T00:00:00.000Z',
        arrivedAt: '2026-11-19T23:10:00.000Z',
        retentionSeconds: 86_400,
      },
    ]);
    expect(arrivalsOf(object('datasets/churn-2026-11-19.csv'), candidates).map((r) => r.modelId)).toEqual([
      'churn2',
    ]);
  });

  it.each([
    ['another model’s file', 'datasets/traffic/2026-11-19/other.csv'],
    ['another extension', 'datasets/traffic/2026-11-19/churn.json'],
    ['no date', 'datasets/traffic/latest/churn.csv'],
    ['outside datasets/', 'traffic/2026-11-19/churn.csv'],
  ])('gives none for %s', (_, key) => {
    expect(arrivalsOf(object(key), candidates)).toEqual([]);
  });
});

describe('awaitsArrivals', () => {
  const monitoring = { current: 'datasets/churn/{date}.csv' };
  it.each([
    [{ monitoring }, 'datasets/churn/', true],
    // Stored before subscriptions existed, or subscribed with a template since changed.
    [{ monitoring }, undefined, false],
    [{ monitoring }, 'datasets/old/', false],
    [{ monitoring: { current: 'traffic/{date}.csv' } }, 'datasets/churn/', false],
    [{}, 'datasets/churn/', false],
  ])('%j subscribed at %s -> %s', (policy, subscribed, expected) => {
    expect(awaitsArrivals(policy, subscribed)).toBe(expected);
  });
});

it('records an arrival at midnight of the window’s day', () => {
  expect(arrivalTimestamp('2026-11-19T13:00:00.000Z')).toBe('2026-11-19T00:00:00.000Z');
});
