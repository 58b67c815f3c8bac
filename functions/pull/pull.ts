/** The scheduled pull: KPIs kept as CloudWatch metrics, read per window and stored as observations. */
import {
  type MetricQuery,
  type MetricResult,
  type PullOptions,
  pulledRows,
  pullRequest,
} from '#domain/cloudwatch.ts';
import type { Observation, RejectedRow } from '#domain/observations.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { listModels } from '#stores/policies.ts';
import { ingestObservations, valueRows } from '../ingest/ingest.ts';

/** GetMetricData as the CloudWatch client (or the local integration of recorded answers) serves it. */
export interface MetricDataReader {
  getMetricData(input: {
    MetricDataQueries: MetricQuery[];
    StartTime: Date;
    EndTime: Date;
    NextToken?: string;
  }): Promise<{ MetricDataResults?: MetricResult[] | undefined; NextToken?: string | undefined }>;
}

/** What one pull did per model. */
export interface PulledModel {
  modelId: string;
  start: string;
  end: string;
  stored: number;
  unchanged: number;
  rejected: RejectedRow[];
}

/**
 * Reads every registered model's CloudWatch-sourced KPIs over its last complete windows (one GetMetricData per
 * model, all pages) and stores them through the one ingestion implementation: a window pulled again is
 * `unchanged`; a value CloudWatch revised after it was stored is rejected as a conflict (the stored one stays).
 */
export async function pullMetrics(
  ctx: KaizenContext,
  reader: MetricDataReader,
  now: Date,
  options: PullOptions = {},
): Promise<{ models: PulledModel[]; newest: Observation[] }> {
  const models: PulledModel[] = [];
  const newest: Observation[] = [];
  for (const { policy } of await listModels(ctx)) {
    const request = pullRequest(policy, now, options);
    if (!request) continue;
    const results = new Map<string, MetricResult>();
    let token: string | undefined;
    do {
      const page = await reader.getMetricData({
        MetricDataQueries: request.queries,
        StartTime: new Date(request.start),
        EndTime: new Date(request.end),
        ...(token ? { NextToken: token } : {}),
      });
      for (const result of page.MetricDataResults ?? []) {
        const id = result.Id ?? '';
        const earlier = results.get(id);
        results.set(id, {
          Id: id,
          Timestamps: [...(earlier?.Timestamps ?? []), ...(result.Timestamps ?? [])],
          Values: [...(earlier?.Values ?? []), ...(result.Values ?? [])],
        });
      }
      token = page.NextToken;
    } while (token);
    const result = await ingestObservations(ctx, valueRows(pulledRows(request, [...results.values()])));
    newest.push(...result.newest);
    models.push({
      modelId: policy.modelId,
      start: request.start,
      end: request.end,
      stored: result.stored,
      unchanged: result.unchanged,
      rejected: result.rejected,
    });
  }
  return { models, newest };
}
