/** The HTTPS API's routes, on API Gateway proxy events: the Lambda handler and `kaizen serve` both call them. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ModelNotFoundError } from '#contracts/errors.ts';
import {
  type ErrorResponse,
  type IngestResponse,
  MAX_BATCH_ROWS,
  type ModelStatus,
  ObservationBatchSchema,
} from '#domain/api.ts';
import type { Observation } from '#domain/observations.ts';
import { formatIssues } from '#domain/policy.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getChampion } from '#stores/champion.ts';
import { getLock } from '#stores/lock.ts';
import { getPolicy } from '#stores/policies.ts';
import { listRuns } from '#stores/runs.ts';
import { ingestObservations, valueRows } from '../ingest/ingest.ts';

/** The part of an API Gateway proxy event the routes read (what `kaizen serve` builds from an HTTP request). */
export type ApiRequest = Pick<
  APIGatewayProxyEvent,
  'httpMethod' | 'resource' | 'path' | 'pathParameters' | 'headers' | 'body' | 'isBase64Encoded'
>;

/** Called with the newest stored row of each model (locally the trigger runs on them; on AWS the stream does). */
export type OnStored = (newest: Observation[]) => Promise<unknown>;

const reply = (
  statusCode: number,
  body: IngestResponse | ErrorResponse | ModelStatus,
): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Routes one request: `POST /observations`, `GET /models/{id}/status`; anything else is 404. */
export async function routeRequest(
  ctx: KaizenContext,
  request: ApiRequest,
  onStored: OnStored = async () => undefined,
): Promise<APIGatewayProxyResult> {
  if (request.resource === '/observations' && request.httpMethod === 'POST') {
    return postObservations(ctx, request, onStored);
  }
  if (request.resource === '/models/{id}/status' && request.httpMethod === 'GET') {
    return modelStatus(ctx, request.pathParameters?.id ?? '');
  }
  return reply(404, { message: `no route for ${request.httpMethod} ${request.path}` });
}

function header(request: ApiRequest, name: string): string | undefined {
  const found = Object.entries(request.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return found?.[1] ?? undefined;
}

async function postObservations(ctx: KaizenContext, request: ApiRequest, onStored: OnStored) {
  const type = header(request, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    return reply(415, { message: `Content-Type must be application/json, got "${type || 'none'}"` });
  }
  const text = request.isBase64Encoded
    ? Buffer.from(request.body ?? '', 'base64').toString('utf8')
    : (request.body ?? '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return reply(400, { message: `the body is not JSON: ${(error as Error).message}` });
  }
  const rows = (body as { observations?: unknown })?.observations;
  if (Array.isArray(rows) && rows.length > MAX_BATCH_ROWS) {
    return reply(413, {
      message: `${rows.length} rows: a request carries at most ${MAX_BATCH_ROWS}; split the batch`,
    });
  }
  const envelope = ObservationBatchSchema.safeParse(body);
  if (!envelope.success) {
    return reply(400, {
      message: 'the body must be {"observations": [ ...rows ]}',
      issues: formatIssues(envelope.error),
    });
  }
  const result = await ingestObservations(ctx, valueRows(envelope.data.observations));
  if (result.newest.length > 0) await onStored(result.newest);
  const response: IngestResponse = {
    stored: result.stored,
    unchanged: result.unchanged,
    duplicates: result.duplicates,
    rejected: result.rejected,
    unknownMetrics: result.unknownMetrics,
  };
  const accepted = result.stored + result.unchanged + result.duplicates;
  return reply(result.rejectedCount === 0 ? 201 : accepted > 0 ? 207 : 422, response);
}

async function modelStatus(ctx: KaizenContext, modelId: string) {
  try {
    await getPolicy(ctx, modelId);
  } catch (error) {
    if (error instanceof ModelNotFoundError)
      return reply(404, { message: `model "${modelId}" is not registered` });
    throw error;
  }
  const [champion, lock, runs] = await Promise.all([
    getChampion(ctx, modelId),
    getLock(ctx, modelId),
    listRuns(ctx, modelId, 1),
  ]);
  const last = runs[0];
  const running = lock !== null && lock.expiresAt > new Date().toISOString();
  return reply(200, {
    modelId,
    state: running ? 'running' : 'idle',
    champion: champion ? { version: champion.version, since: champion.since } : null,
    lastDecision: last
      ? {
          asOf: last.asOf,
          outcome: last.outcome,
          ...(last.decision ? { action: last.decision.action } : {}),
          summary: last.summary,
          executionName: last.executionName,
        }
      : null,
  });
}
