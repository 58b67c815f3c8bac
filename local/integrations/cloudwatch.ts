/**
 * The local CloudWatch GetMetricData: answers from recorded responses, as AWS would answer the same queries.
 * A recording is a JSON file holding a request's `MetricDataQueries` and its answer's `MetricDataResults`
 * (what `aws cloudwatch get-metric-data` takes and prints), in `<home>/cloudwatch/`. Each call is appended to
 * `<home>/cloudwatch-calls.jsonl`.
 */
import { appendFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetricQuery, MetricResult } from '#domain/cloudwatch.ts';
import type { MetricDataReader } from '../../functions/pull/pull.ts';

/** Where recordings are read from, under the local home. */
export const RECORDINGS_DIR = 'cloudwatch';
/** The log of calls, under the local home. */
export const CLOUDWATCH_CALLS_FILE = 'cloudwatch-calls.jsonl';

interface Recording {
  MetricDataQueries: Pick<MetricQuery, 'Id' | 'MetricStat'>[];
  MetricDataResults: MetricResult[];
}

/** One recorded series: a metric, statistic and period with its datapoints. */
interface Series {
  key: string;
  points: { timestamp: string; value: number }[];
}

const seriesKey = (stat: MetricQuery['MetricStat']) =>
  JSON.stringify([
    stat.Metric.Namespace,
    stat.Metric.MetricName,
    [...(stat.Metric.Dimensions ?? [])]
      .sort((a, b) => (a.Name < b.Name ? -1 : 1))
      .map((d) => [d.Name, d.Value]),
    stat.Stat,
    stat.Period,
  ]);

async function loadSeries(dir: string): Promise<Map<string, Series>> {
  const series = new Map<string, Series>();
  const files = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => name.endsWith('.json'))
    .sort();
  for (const name of files) {
    const recording = JSON.parse(await readFile(join(dir, name), 'utf8')) as Recording;
    for (const query of recording.MetricDataQueries ?? []) {
      if (!query.MetricStat) continue;
      const result = recording.MetricDataResults?.find((r) => r.Id === query.Id);
      const key = seriesKey(query.MetricStat);
      const entry = series.get(key) ?? { key, points: [] };
      (result?.Timestamps ?? []).forEach((timestamp, i) => {
        const value = result?.Values?.[i];
        if (value !== undefined) entry.points.push({ timestamp: new Date(timestamp).toISOString(), value });
      });
      series.set(key, entry);
    }
  }
  return series;
}

/**
 * GetMetricData over the recordings of `home`: each query gets the recorded datapoints of the same metric,
 * dimensions, statistic and period in `[StartTime, EndTime)`, newest first (CloudWatch's default order); a query
 * nothing recorded answers is `Complete` with no datapoints, as CloudWatch answers a metric without data.
 */
export function recordedMetricData(home: string): MetricDataReader & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    async getMetricData(input) {
      const series = await loadSeries(join(home, RECORDINGS_DIR));
      const start = input.StartTime.toISOString();
      const end = input.EndTime.toISOString();
      const call = { MetricDataQueries: input.MetricDataQueries, StartTime: start, EndTime: end };
      calls.push(call);
      await appendFile(join(home, CLOUDWATCH_CALLS_FILE), `${JSON.stringify(call)}\n`);
      return {
        MetricDataResults: input.MetricDataQueries.map((query) => {
          const points = (series.get(seriesKey(query.MetricStat))?.points ?? [])
            .filter((p) => p.timestamp >= start && p.timestamp < end)
            .sort((a, b) => (a.timestamp < b.timestamp ? 1 : -1));
          return {
            Id: query.Id,
            Label: query.MetricStat.Metric.MetricName,
            Timestamps: points.map((p) => new Date(p.timestamp)),
            Values: points.map((p) => p.value),
            StatusCode: 'Complete',
          };
        }),
      };
    },
  };
}
