import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRICS, METRICS_NAMESPACE, METRICS_SERVICE } from '#contracts/metrics.ts';

/** The EMF documents written to stdout while `run` runs. */
function emitted(run: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeEach(() => {
  // As the CDK app sets them on every function (BASE_ENVIRONMENT).
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', METRICS_SERVICE);
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', METRICS_NAMESPACE);
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_DEV', 'false');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('publishMetric', () => {
  it('writes one EMF document per metric, with exactly its catalogue dimensions and unit', async () => {
    // Imported after the environment is set, as on Lambda (the shared instance reads it once).
    vi.resetModules();
    const { publishMetric } = await import('#runtime/metrics.ts');
    const docs = emitted(() => {
      publishMetric('Runs', 1, { outcome: 'blocked' });
      publishMetric('ModelRuns', 1, { model: 'churn', outcome: 'blocked' });
      publishMetric('SweepDuration', 42.5);
    });
    expect(docs).toHaveLength(3);
    const [runs, modelRuns, duration] = docs as {
      _aws: {
        CloudWatchMetrics: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string; Unit: string }[];
        }[];
      };
      [key: string]: unknown;
    }[];
    expect(runs?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [expect.arrayContaining(['service', 'outcome'])],
        Metrics: [{ Name: 'Runs', Unit: METRICS.Runs.unit }],
      },
    ]);
    expect(runs?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toHaveLength(2);
    expect(runs).toMatchObject({ service: METRICS_SERVICE, outcome: 'blocked', Runs: 1 });
    expect(modelRuns?._aws.CloudWatchMetrics[0]?.Dimensions[0]?.sort()).toEqual([
      'model',
      'outcome',
      'service',
    ]);
    expect(modelRuns).toMatchObject({ model: 'churn', outcome: 'blocked', ModelRuns: 1 });
    // A metric without dimensions of its own does not pick up another's.
    expect(duration?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(duration?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: 'SweepDuration', Unit: 'Seconds' },
    ]);
    expect(duration).not.toHaveProperty('outcome');
  });
});
