import { describe, expect, it } from 'vitest';
import { buildModelCard, type CardAliasChange, type CardVersion, renderModelCard } from '#domain/card.ts';

const version = (n: number): CardVersion => ({
  modelId: 'churn',
  version: n,
  status: 'champion',
  createdAt: '2026-11-01T00:00:00.000Z',
  trainedAsOf: '2026-11-01T00:00:00.000Z',
  executionName: `run-${n}`,
  artifactKey: `models/churn/run-${n}/model.json`,
  parentVersion: n > 1 ? n - 1 : null,
  dataset: { key: 'd.csv', sha256: 'a'.repeat(64), rows: 10 },
  params: { l2: 0.001 },
});

const move = (
  version: number | null,
  previousVersion: number | null,
  day: number,
  reason: string,
): CardAliasChange => ({
  version,
  previousVersion,
  at: `2026-11-0${day}T01:00:00.000Z`,
  since: `2026-11-0${day}T00:00:00.000Z`,
  reason,
  executionName: `run-${day}`,
});

// The alias log as the registry lists it: newest first.
const log = [move(1, 2, 3, 'rolled back'), move(2, 1, 2, 'promoted v2'), move(1, null, 1, 'promoted v1')];

describe('buildModelCard serving periods', () => {
  it.each([
    [
      1,
      [
        {
          from: '2026-11-01T00:00:00.000Z',
          to: '2026-11-02T00:00:00.000Z',
          started: 'promoted v1',
          ended: 'promoted v2',
        },
        { from: '2026-11-03T00:00:00.000Z', to: null, started: 'rolled back', ended: null },
      ],
    ],
    [
      2,
      [
        {
          from: '2026-11-02T00:00:00.000Z',
          to: '2026-11-03T00:00:00.000Z',
          started: 'promoted v2',
          ended: 'rolled back',
        },
      ],
    ],
    [3, []],
  ])('v%i', (n, serving) => {
    const card = buildModelCard({
      description: 'churn',
      version: version(n),
      runs: [],
      aliases: log,
      now: 'now',
    });
    expect(card.serving).toEqual(serving);
  });

  it('says what it does not know instead of leaving sections out', () => {
    const card = buildModelCard({
      description: undefined,
      version: version(3),
      runs: [],
      aliases: [],
      now: 'now',
    });
    expect(card).toMatchObject({
      purpose: '(the policy has no description)',
      evaluation: null,
      dataAtTraining: null,
    });
    const markdown = renderModelCard(card);
    expect(markdown).toContain('not evaluated (its run ended before the gate)');
    expect(markdown).toContain('never deployed');
    expect(markdown).toContain('never served');
    expect(markdown).toContain('- l2: 0.001');
  });
});
