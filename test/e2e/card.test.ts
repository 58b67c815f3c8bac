import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cardKeys, type ModelCard } from '#domain/card.ts';
import { getText } from '#stores/artifacts.ts';
import { cliIn } from '../support/cli.ts';
import { freshStack, observe, precision, type TestStack, writeDatasets } from '../support/loop.ts';

// Model cards end to end: Record writes the candidate's card beside its artifact at the end of every run
// that trained one, and `kaizen card` builds it fresh from the registry and the run records.
const T0 = '2026-11-10T00:00:00.000Z';
const T1 = '2026-11-20T00:00:00.000Z';
const hours = (iso: string, h: number) => new Date(Date.parse(iso) + h * 3_600_000).toISOString();

let stack: TestStack;
const { kaizen } = cliIn(() => stack.home);
beforeEach(async () => {
  stack = await freshStack();
});
afterEach(async () => {
  await stack.close();
});

describe('model cards', () => {
  it("keeps each version's card beside its artifact, with its deploys, KPIs and serving periods", async () => {
    const first = await stack.bootstrap(T0);
    // v2 is deployed and rolled back: the KPIs got worse after the deploy.
    await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
    await observe(stack.ctx, precision(hours(T1, -6), 0.22), precision(hours(T1, 6), 0.12));
    const second = await stack.run({ asOf: T1, force: true });
    expect(second.record?.outcome).toBe('rolled-back');

    const v1Keys = cardKeys('churn', first.executionName);
    const v1 = JSON.parse(await getText(stack.ctx, v1Keys.json)) as ModelCard;
    expect(v1).toMatchObject({
      modelId: 'churn',
      version: 1,
      purpose: stack.policy.description,
      backend: 'builtin',
      trainingData: { key: 'datasets/churn/train.csv', rows: 7000 },
      parameters: { l2: 0.001 },
      evaluation: { metric: 'auc', championScore: null },
      approval: null,
      deployments: [{ outcome: 'promoted', kpisAfter: [{ metric: 'campaign_precision', value: 0.3 }] }],
    });
    // The stored card is as of v1's own run; the one built now knows v2 came and went.
    const fresh = JSON.parse((await kaizen('card', '--model', 'churn', '1', '--json')).out) as ModelCard;
    expect(fresh.serving).toEqual([
      { from: T0, to: T1, started: expect.any(String), ended: expect.any(String) },
      { from: expect.any(String), to: null, started: expect.stringContaining('rolled back'), ended: null },
    ]);

    const v2 = JSON.parse(
      await getText(stack.ctx, cardKeys('churn', second.executionName).json),
    ) as ModelCard;
    expect(v2).toMatchObject({
      version: 2,
      status: 'rolled-back',
      parentVersion: 1,
      deployments: [
        {
          outcome: 'rolled-back',
          kpisBefore: [{ metric: 'campaign_precision', value: 0.22 }],
          kpisAfter: [{ metric: 'campaign_precision', value: 0.12 }],
        },
      ],
    });
    expect(v2.serving).toHaveLength(1);
    expect(v2.serving[0]?.to).not.toBeNull();
    const markdown = await getText(stack.ctx, cardKeys('churn', second.executionName).markdown);
    expect(markdown).toContain('# Model card: churn v2');
    expect(markdown).toMatch(
      /- .* \(test-churn-\S+\): rolled-back\n {2}- before: campaign_precision 0\.2200 \(n=400\)\n {2}- after: campaign_precision 0\.1200 \(n=400\)/,
    );
  });

  it("prints the champion's card as Markdown by default, and refuses an unknown version", async () => {
    await stack.bootstrap(T0);
    const printed = await kaizen('card', '--model', 'churn');
    expect(printed.code).toBe(0);
    expect(printed.out).toMatch(/^# Model card: churn v1\n/);
    expect(printed.out).toContain('| status | champion |');
    const missing = await kaizen('card', '--model', 'churn', 'v9');
    expect(missing).toMatchObject({ code: 2, err: expect.stringContaining('churn has no version 9') });
  });
});
