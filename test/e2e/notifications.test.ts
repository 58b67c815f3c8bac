import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelPolicyInput } from '#domain/policy.ts';
import { NOTIFICATIONS_FILE } from '#local/integrations/sns.ts';
import { putText } from '#stores/artifacts.ts';
import { customers, random, toCsv } from '../../cli/demo/world.ts';
import { freshStack, observe, precision, type TestStack, writeDatasets } from '../support/loop.ts';

// What the owners are told: real ASL, real handlers, the local SNS recording each publish as SNS receives it.
const T0 = '2026-11-10T00:00:00.000Z';
const T1 = '2026-11-20T00:00:00.000Z';
const hours = (iso: string, h: number) => new Date(Date.parse(iso) + h * 3_600_000).toISOString();
const trafficKey = (windowEnd: string) => `datasets/churn/traffic/${hours(windowEnd, -24).slice(0, 10)}.csv`;

interface Published {
  topicArn: string;
  subject: string;
  message: string;
  attributes: Record<string, { DataType: string; StringValue: string }>;
}

let stack: TestStack;

async function start(overrides: Partial<ModelPolicyInput> = {}) {
  stack = await freshStack(overrides);
  await stack.bootstrap(T0);
}

async function published(): Promise<Published[]> {
  const text = await readFile(join(stack.home, NOTIFICATIONS_FILE), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Published);
}

/** A KPI breach on data a third of whose tenure values are missing. */
async function brokenWindow() {
  const rows = toCsv([customers(random(5), 1000, true)]).split('\n');
  const broken = rows.map((line, i) => (i > 0 && i % 3 === 0 ? line.replace(/^[^,]*/, '') : line)).join('\n');
  await putText(stack.ctx, trafficKey(T1), broken);
  await observe(stack.ctx, precision(hours(T1, -6), 0.1));
}

/** A retrain whose deploy makes the KPI worse. */
async function worseDeploy() {
  await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
  await observe(stack.ctx, precision(hours(T1, -6), 0.22), precision(hours(T1, 6), 0.12));
}

afterEach(async () => {
  await stack.close();
});

describe('notifications on the local stack', () => {
  it('publishes nothing for a promotion by default, and says why a retrain is blocked and what to do', async () => {
    await start();
    expect(await published()).toEqual([]);
    await brokenWindow();
    const { record } = await stack.run({ asOf: T1 });
    expect(record?.outcome).toBe('blocked');

    const [blocked, ...others] = await published();
    expect(others).toEqual([]);
    expect(blocked).toMatchObject({
      topicArn: expect.stringMatching(/^arn:aws:sns:/),
      subject: 'Kaizen Loop: churn blocked (data quality)',
      attributes: {
        model: { DataType: 'String', StringValue: 'churn' },
        kind: { DataType: 'String.Array', StringValue: '["blocked"]' },
        outcome: { DataType: 'String', StringValue: 'blocked' },
      },
    });
    expect(blocked?.message).toMatch(
      /^churn needs a retrain, but the data quality rule blocked it: v1 keeps serving/,
    );
    expect(blocked?.message).toMatch(/Why:\n- data quality failed: .*tenure/);
    expect(blocked?.message).toMatch(/- campaign_precision /);
    expect(blocked?.message).toContain('`kaizen run --model churn --force`');
    expect(blocked?.message).toContain(`Run: ${record?.executionName}`);
  });

  it('tells of a rollback with the verification that failed, filterable as rollback and retrain', async () => {
    await start();
    await worseDeploy();
    const { record } = await stack.run({ asOf: T1 });
    expect(record?.outcome).toBe('rolled-back');

    const [rollback, ...others] = await published();
    expect(others).toEqual([]);
    expect(rollback).toMatchObject({
      subject: 'Kaizen Loop: churn v2 rolled back to v1',
      attributes: {
        kind: { DataType: 'String.Array', StringValue: '["rollback","retrain"]' },
        outcome: { DataType: 'String', StringValue: 'rolled-back' },
      },
    });
    expect(rollback?.message).toMatch(/v1 serves again/);
    expect(rollback?.message).toMatch(/- campaign_precision 0\.26 -> 0\.12 \(-54%.*worse than before/);
    expect(rollback?.message).toContain('kaizen card --model churn 2');
  });

  it("follows the policy's notifications: promotions when asked, nothing at all with []", async () => {
    await start({ notifications: { on: ['promoted'] } });
    const [promoted] = await published();
    expect(promoted).toMatchObject({
      subject: 'Kaizen Loop: churn v1 promoted',
      attributes: { kind: { StringValue: '["promoted","retrain"]' } },
    });
    await stack.close();

    await start({ notifications: { on: [] } });
    await worseDeploy();
    expect((await stack.run({ asOf: T1 })).record?.outcome).toBe('rolled-back');
    expect(await published()).toEqual([]);
  });
});
