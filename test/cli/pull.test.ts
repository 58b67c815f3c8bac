import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryObservations } from '#stores/observations.ts';
import { localBackend } from '../../cli/backend.ts';
import { cliIn } from '../support/cli.ts';
import { ROOT } from '../support/loop.ts';

// The scheduled CloudWatch pull, run by `kaizen pull` on the local stack against recorded GetMetricData answers.

let home: string;
const { kaizen, file } = cliIn(() => home);
const RECORDING = join(ROOT, 'test/fixtures/cloudwatch/checkout.json');

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-pull-'));
  const policy = JSON.parse(await readFile(join(ROOT, 'examples/churn-policy.json'), 'utf8'));
  const [first, ...rest] = policy.kpis;
  const sourced = {
    ...first,
    source: {
      cloudwatch: {
        namespace: 'Checkout',
        metricName: 'CampaignPrecision',
        dimensions: { Stage: 'prod', Model: 'churn' },
        count: { metricName: 'CustomersContacted' },
      },
    },
  };
  const path = await file('policy.json', JSON.stringify({ ...policy, kpis: [sourced, ...rest] }));
  expect((await kaizen('models', 'put', path)).code).toBe(0);
  await mkdir(join(home, 'cloudwatch'));
  await copyFile(RECORDING, join(home, 'cloudwatch/checkout.json'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function stored() {
  const backend = await localBackend(home);
  try {
    return await queryObservations(backend.ctx, 'churn', { start: '2026-11-18', end: '2026-11-25' });
  } finally {
    await backend.close();
  }
}

describe('kaizen pull (CloudWatch sources, recorded answers)', () => {
  it('stores one row per complete window that has a value and a count, asking GetMetricData as AWS would be asked', async () => {
    const result = await kaizen('pull', '--at', '2026-11-23T00:20:00Z');
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain(
      'churn: 2026-11-20T00:00:00.000Z to 2026-11-23T00:00:00.000Z: stored 2, unchanged 0, rejected 0',
    );
    // 11-19 is before the three windows read back; 11-20 has no count (no datapoint is no data, not zero).
    expect(
      (await stored()).map((o) => [
        o.timestamp,
        (o as { value: number }).value,
        (o as { count: number }).count,
      ]),
    ).toEqual([
      ['2026-11-21T00:00:00.000Z', 0.29, 395],
      ['2026-11-22T00:00:00.000Z', 0.27, 410],
    ]);
    const [call] = (await readFile(join(home, 'cloudwatch-calls.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(call).toEqual({
      StartTime: '2026-11-20T00:00:00.000Z',
      EndTime: '2026-11-23T00:00:00.000Z',
      MetricDataQueries: [
        {
          Id: 'v0',
          MetricStat: {
            Metric: {
              Namespace: 'Checkout',
              MetricName: 'CampaignPrecision',
              Dimensions: [
                { Name: 'Model', Value: 'churn' },
                { Name: 'Stage', Value: 'prod' },
              ],
            },
            Period: 86_400,
            Stat: 'Average',
          },
          ReturnData: true,
        },
        expect.objectContaining({
          Id: 'c0',
          MetricStat: expect.objectContaining({
            Metric: expect.objectContaining({ MetricName: 'CustomersContacted' }),
            Stat: 'Sum',
          }),
        }),
      ],
    });
  });

  it('waits for a window to settle: 10 minutes after midnight the day just ended is not read yet', async () => {
    const result = JSON.parse((await kaizen('--json', 'pull', '--at', '2026-11-23T00:10:00Z')).out);
    expect(result.models).toEqual([
      expect.objectContaining({
        start: '2026-11-19T00:00:00.000Z',
        end: '2026-11-22T00:00:00.000Z',
        stored: 2,
      }),
    ]);
    expect((await stored()).map((o) => o.timestamp)).toEqual([
      '2026-11-19T00:00:00.000Z',
      '2026-11-21T00:00:00.000Z',
    ]);
  });

  it('a pull of the same windows is unchanged; a value CloudWatch revised later is rejected and the stored one kept', async () => {
    await kaizen('pull', '--at', '2026-11-23T00:20:00Z');
    const again = JSON.parse((await kaizen('--json', 'pull', '--at', '2026-11-23T00:20:00Z')).out);
    expect(again.models[0]).toMatchObject({ stored: 0, unchanged: 2, rejected: [] });

    const recording = JSON.parse(await readFile(RECORDING, 'utf8'));
    recording.MetricDataResults[0].Values[0] = 0.2;
    await writeFile(join(home, 'cloudwatch/checkout.json'), JSON.stringify(recording));
    const revised = await kaizen('pull', '--at', '2026-11-23T00:20:00Z');
    expect(revised.code).toBe(1);
    expect(revised.err).toContain(
      '(value: stored 0.27, sent 0.2); stored observations are never overwritten',
    );
    expect((await stored()).map((o) => (o as { value: number }).value)).toEqual([0.29, 0.27]);
  });

  it('says so when no policy names a CloudWatch source', async () => {
    await rm(home, { recursive: true, force: true });
    home = await mkdtemp(join(tmpdir(), 'kaizen-pull-'));
    await kaizen('models', 'put', join(ROOT, 'examples/churn-policy.json'));
    expect((await kaizen('pull')).out).toBe('no model has a KPI with a CloudWatch source');
  });

  it('refuses a statistic CloudWatch does not have', async () => {
    const policy = JSON.parse(await readFile(join(ROOT, 'examples/churn-policy.json'), 'utf8'));
    policy.kpis[0].source = { cloudwatch: { namespace: 'N', metricName: 'M', statistic: 'Median' } };
    const result = await kaizen('models', 'put', await file('bad.json', JSON.stringify(policy)));
    expect(result.code).toBe(2);
    expect(result.err).toContain('kpis[0].source.cloudwatch.statistic: must be a CloudWatch statistic');
  });
});
