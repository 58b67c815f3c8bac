/**
 * The scheduled pull of KPIs kept in CloudWatch: which GetMetricData queries to make for the models' complete
 * windows, and the observation rows their answers give. Pure: the request and answer are plain data shaped as
 * the CloudWatch API's.
 */
import { durationSeconds, windowBoundary } from './duration.ts';
import type { KpiSource, ModelPolicy } from './policy.ts';

/** One metric query as GetMetricData takes it (`MetricDataQueries[n]`). */
export interface MetricQuery {
  Id: string;
  MetricStat: {
    Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
    Period: number;
    Stat: string;
  };
  ReturnData: true;
}

/** One result as GetMetricData answers it (`MetricDataResults[n]`). */
export interface MetricResult {
  Id?: string | undefined;
  Timestamps?: (Date | string)[] | undefined;
  Values?: number[] | undefined;
  StatusCode?: string | undefined;
}

/** The queries of one model, over `[start, end)` with one datapoint per window. */
export interface PullRequest {
  modelId: string;
  start: string;
  end: string;
  period: number;
  queries: MetricQuery[];
  /** Per KPI: its metric and the ids of its value and count queries. */
  kpis: { metric: string; value: string; count: string }[];
}

export interface PullOptions {
  /** Complete windows read back each time (a missed schedule is caught up). @default 3 */
  windows?: number;
  /** How long after a window ends its metrics are taken as final (CloudWatch accepts late datapoints). @default 15 min */
  settleSeconds?: number;
}

const dimensionsOf = (dimensions: Record<string, string>) =>
  Object.entries(dimensions)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([Name, Value]) => ({ Name, Value }));

/**
 * The GetMetricData request of a model whose policy names CloudWatch sources, over its last `windows` complete
 * windows that ended at least `settleSeconds` before `now` (windows on the policy's grid, as automated runs use),
 * or undefined when no KPI has a CloudWatch source. The period is the policy's window (CloudWatch needs a
 * multiple of 60 seconds).
 */
export function pullRequest(
  policy: ModelPolicy,
  now: Date,
  options: PullOptions = {},
): PullRequest | undefined {
  const sourced = policy.kpis.flatMap((rule, index) =>
    rule.source?.cloudwatch ? [{ metric: rule.metric, index, source: rule.source.cloudwatch }] : [],
  );
  if (sourced.length === 0) return undefined;
  const period = durationSeconds(policy.window);
  if (period % 60 !== 0) {
    throw new RangeError(
      `${policy.modelId}: window ${policy.window} is not a whole number of minutes (CloudWatch periods are)`,
    );
  }
  const windows = options.windows ?? 3;
  const settled = new Date(now.getTime() - (options.settleSeconds ?? 900) * 1000);
  const end = windowBoundary(settled, period, 'floor');
  const start = new Date(Date.parse(end) - windows * period * 1000).toISOString();
  const queries: MetricQuery[] = [];
  const kpis: PullRequest['kpis'] = [];
  for (const { metric, index, source } of sourced) {
    const value = `v${index}`;
    const count = `c${index}`;
    queries.push(query(value, source, source.statistic, period));
    queries.push(query(count, countMetric(source), source.count?.statistic ?? 'SampleCount', period));
    kpis.push({ metric, value, count });
  }
  return { modelId: policy.modelId, start, end, period, queries, kpis };
}

type CloudWatchSource = NonNullable<KpiSource['cloudwatch']>;

function countMetric(source: CloudWatchSource): Omit<CloudWatchSource, 'statistic' | 'count'> {
  if (!source.count) return source;
  return {
    namespace: source.count.namespace ?? source.namespace,
    metricName: source.count.metricName,
    dimensions: source.count.dimensions ?? source.dimensions,
  };
}

function query(
  id: string,
  metric: Omit<CloudWatchSource, 'statistic' | 'count'>,
  stat: string,
  period: number,
): MetricQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: metric.namespace,
        MetricName: metric.metricName,
        Dimensions: dimensionsOf(metric.dimensions),
      },
      Period: period,
      Stat: stat,
    },
    ReturnData: true,
  };
}

/**
 * The KPI rows of the answers: one per KPI and window that has both a value and a count, stamped at the window's
 * start. A window without datapoints gives no row (no data is "insufficient data", not a zero).
 */
export function pulledRows(
  request: PullRequest,
  results: readonly MetricResult[],
): Record<string, unknown>[] {
  const series = new Map<string, Map<string, number>>();
  for (const result of results) {
    const points = new Map<string, number>();
    (result.Timestamps ?? []).forEach((timestamp, i) => {
      const value = result.Values?.[i];
      if (value !== undefined) points.set(new Date(timestamp).toISOString(), value);
    });
    if (result.Id) series.set(result.Id, points);
  }
  const rows: Record<string, unknown>[] = [];
  for (const kpi of request.kpis) {
    const values = series.get(kpi.value);
    const counts = series.get(kpi.count);
    for (const [timestamp, value] of [...(values ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (timestamp < request.start || timestamp >= request.end) continue;
      const count = counts?.get(timestamp);
      if (count === undefined) continue;
      rows.push({
        type: 'kpi',
        modelId: request.modelId,
        metric: kpi.metric,
        value,
        count: Math.round(count),
        timestamp,
      });
    }
  }
  return rows;
}
