import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putText } from '#stores/artifacts.ts';
import { queryObservations } from '#stores/observations.ts';
import { listRuns } from '#stores/runs.ts';
import { getVersion } from '#stores/versions.ts';
import { customers, random, toCsv } from '../../cli/demo/world.ts';
import { freshStack, observe, precision, type TestStack, writeDatasets } from '../support/loop.ts';

// Monitor computes drift and data quality from datasets in S3 (the example policy's `monitoring` section:
// reference = the champion's training-data snapshot, current = datasets/churn/traffic/{date}.csv).
const T0 = '2026-11-10T00:00:00.000Z';
const T1 = '2026-11-20T00:00:00.000Z';
const hours = (iso: string, h: number) => new Date(Date.parse(iso) + h * 3_600_000).toISOString();
// The window before T1 is [T1 - 1 day, T1); its dataset is named by its start date.
const trafficKey = (windowEnd: string) => `datasets/churn/traffic/${hours(windowEnd, -24).slice(0, 10)}.csv`;

let stack: TestStack;

const bootstrap = () => stack.bootstrap(T0);

beforeEach(async () => {
  stack = await freshStack();
});
afterEach(async () => {
  await stack.close();
});

describe('Monitor with datasets', () => {
  it('keeps a snapshot of the training data as lineage and drift reference', async () => {
    await bootstrap();
    const version = await getVersion(stack.ctx, 'churn', 1);
    expect(version?.dataset.snapshotKey).toMatch(/^models\/churn\/test-churn-.*\/training-data\.csv$/);
  });

  it('computes drift against the champion’s training data and retrains on dataset drift alone', async () => {
    await bootstrap();
    await putText(stack.ctx, trafficKey(T1), toCsv([customers(random(5), 1000, true)]));
    await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
    await observe(stack.ctx, precision(hours(T1, -6), 0.31), precision(hours(T1, 6), 0.45)); // the KPI alone is healthy
    const { record } = await stack.run({ asOf: T1 });
    const charges = record?.observed?.drift.find((d) => d.feature === 'monthly_charges');
    expect(charges).toMatchObject({ method: 'psi', drifted: true, threshold: 0.25 });
    expect(charges?.score).toBeGreaterThan(1);
    expect(record?.observed?.drift.find((d) => d.feature === 'tenure')).toMatchObject({ drifted: false });
    expect(record?.decision?.reasons).toContainEqual(
      expect.objectContaining({ rule: 'drift-share', breached: true, observed: 1 / 3, threshold: 0.3 }),
    );
    expect(record?.outcome).toBe('promoted');
    // Stored next to the KPIs, with the quality verdict marking the window as computed.
    const stored = await queryObservations(stack.ctx, 'churn', { start: hours(T1, -24), end: T1 });
    expect(stored.filter((o) => o.type === 'drift')).toHaveLength(3);
    expect(stored.find((o) => o.type === 'quality')).toMatchObject({
      passed: true,
      rows: 1000,
      failures: [],
    });
  });

  it('blocks retraining on data that fails quality, and records why', async () => {
    await bootstrap();
    const rows = toCsv([customers(random(5), 1000, true)]).split('\n');
    // A broken upstream job: a third of tenure values missing.
    const broken = rows
      .map((line, i) => (i > 0 && i % 3 === 0 ? line.replace(/^[^,]*/, '') : line))
      .join('\n');
    await putText(stack.ctx, trafficKey(T1), broken);
    await observe(stack.ctx, precision(hours(T1, -6), 0.1));
    const { record } = await stack.run({ asOf: T1 });
    expect(record).toMatchObject({
      outcome: 'blocked',
      decision: { action: 'blocked', blockedBy: 'data-quality' },
    });
    expect(record?.summary).toMatch(/data quality failed: .*tenure/);
    expect(record?.observed?.quality?.passed).toBe(false);
  });

  it('a malformed dataset fails the run with the file and line, records it, and releases the lock', async () => {
    await bootstrap();
    await putText(
      stack.ctx,
      trafficKey(T1),
      'tenure,monthly_charges,support_calls,churned\n1,2,3,0\n4,"5,6,0\n',
    );
    await observe(stack.ctx, precision(hours(T1, -6), 0.31));
    const failed = await stack.backend.runLoop(
      { modelId: 'churn', force: false, dryRun: false, asOf: T1 },
      'manual-malformed',
    );
    expect(failed.status).toBe('FAILED');
    const [record] = await listRuns(stack.ctx, 'churn');
    expect(record).toMatchObject({
      outcome: 'failed',
      executionName: 'manual-malformed',
      error: { name: 'DatasetError' },
    });
    expect(record?.error?.message).toMatch(/traffic\/2026-11-19\.csv.*line 3/);
    await putText(stack.ctx, trafficKey(T1), toCsv([customers(random(5), 1000, false)]));
    const next = await stack.run({ asOf: T1 });
    expect(next.record?.decision?.blockedBy).toBeUndefined();
  });

  it('without a dataset for the window there is no computed drift, and no crash', async () => {
    await bootstrap();
    await observe(stack.ctx, precision(hours(T1, -6), 0.31));
    const { record } = await stack.run({ asOf: T1 });
    expect(record).toMatchObject({ outcome: 'no-action' });
    expect(record?.observed?.drift).toEqual([]);
    expect(record?.observed?.quality).toBeUndefined();
  });
});
