/**
 * The HTTPS API's contract: request and response shapes as zod schemas, from which the OpenAPI document
 * (`schemas/openapi.json`) and API Gateway's request model are generated.
 */

import { ObservationSchema } from './observations.ts';
import * as z from './zod.ts';

/** Most rows one `POST /observations` may carry (API Gateway rejects a longer batch before the function runs). */
export const MAX_BATCH_ROWS = 500;

/** The request body of `POST /observations`; each row is validated on its own, so one bad row spoils only itself. */
export const ObservationBatchSchema = z.strictObject({
  observations: z.array(z.unknown()).check(
    z.minLength(1),
    z.maxLength(MAX_BATCH_ROWS),
    z.meta({
      description: `1 to ${MAX_BATCH_ROWS} KPI or drift rows, each as in kaizen ingest's JSON Lines`,
    }),
  ),
});

const described = <T extends z.ZodMiniType>(schema: T, description: string): T =>
  schema.check(z.meta({ description })) as T;

const RejectedRowSchema = z.object({
  line: described(z.int(), 'position of the row in `observations`, from 1'),
  reason: z.string(),
});

/** The answer to `POST /observations`: 201 all stored (or already stored), 207 some rejected, 422 all rejected. */
export const IngestResponseSchema = z.object({
  stored: described(z.int(), 'rows written now'),
  unchanged: described(z.int(), 'rows already stored with the same values (a retry): not written again'),
  duplicates: described(z.int(), 'rows repeated within this batch: stored once'),
  rejected: z.array(RejectedRowSchema),
  unknownMetrics: z.array(z.object({ modelId: z.string(), metric: z.string(), rows: z.int() })),
});

/** Every other answer: what is wrong, and for a malformed envelope where. */
export const ErrorResponseSchema = z.object({
  message: z.string(),
  issues: z.optional(z.array(z.string())),
});

/** The answer to `GET /models/{id}/status`. */
export const ModelStatusSchema = z.object({
  modelId: z.string(),
  state: described(z.enum(['idle', 'running']), '`running` while a loop holds the model'),
  champion: described(
    z.nullable(z.object({ version: z.int(), since: z.string() })),
    'the serving version, or null before the first promotion',
  ),
  lastDecision: described(
    z.nullable(
      z.object({
        asOf: z.string(),
        outcome: z.string(),
        action: z.optional(z.string()),
        summary: z.string(),
        executionName: z.string(),
      }),
    ),
    "the last run's outcome and decision, or null if the model never ran",
  ),
});

export type IngestResponse = z.infer<typeof IngestResponseSchema>;
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
export type ModelStatus = z.infer<typeof ModelStatusSchema>;

/**
 * API Gateway's request model of `POST /observations` (JSON Schema draft 4): an object holding an `observations`
 * array. The row count is left to the function, so an oversized batch is 413 with the limit named, on AWS as under
 * `kaizen serve`.
 */
export function batchRequestModel(): Record<string, unknown> {
  const schema = z.toJSONSchema(ObservationBatchSchema, { target: 'draft-4' }) as unknown as {
    properties: { observations: Record<string, unknown> };
  };
  const { minItems: _min, maxItems: _max, ...observations } = schema.properties.observations;
  return { ...schema, properties: { ...schema.properties, observations } };
}

const json = (schema: z.ZodMiniType) => ({
  'application/json': { schema: z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'output' }) },
});
const answer = (description: string, schema: z.ZodMiniType) => ({ description, content: json(schema) });

/** The OpenAPI 3.0 document of the API, generated from the schemas above and the observation row schema. */
export function openApiDocument(version: string): Record<string, unknown> {
  const error = (description: string) => answer(description, ErrorResponseSchema);
  return {
    openapi: '3.0.3',
    info: {
      title: 'Kaizen Loop observations API',
      version,
      description:
        "Send KPI observations and drift scores to Kaizen Loop, and read a model's state. Requests are signed " +
        'with AWS Signature Version 4 (service `execute-api`) unless the stack uses a Cognito authorizer. Every ' +
        'row is validated as `kaizen ingest` validates it and stored once per (model, metric or feature, ' +
        'timestamp, version): a retry is `unchanged`, another value for a stored row is rejected.',
    },
    components: {
      schemas: {
        Observation: z.toJSONSchema(ObservationSchema, {
          target: 'openapi-3.0',
          io: 'input',
          unrepresentable: 'any',
        }),
      },
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
    security: [{ sigv4: [] }],
    paths: {
      '/observations': {
        post: {
          operationId: 'putObservations',
          summary: `Store up to ${MAX_BATCH_ROWS} observations`,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  ...z.toJSONSchema(ObservationBatchSchema, { target: 'openapi-3.0' }),
                  properties: {
                    observations: {
                      type: 'array',
                      minItems: 1,
                      maxItems: MAX_BATCH_ROWS,
                      items: { $ref: '#/components/schemas/Observation' },
                    },
                  },
                },
              },
            },
          },
          responses: {
            '201': answer('every row stored, or already stored with the same values', IngestResponseSchema),
            '207': answer(
              'some rows stored, the others rejected (each with its line and reason)',
              IngestResponseSchema,
            ),
            '400': error('the body is not JSON, or not {"observations": [...]}'),
            '403': error('the request is not signed by a principal allowed to call the API'),
            '413': error(`more than ${MAX_BATCH_ROWS} rows`),
            '415': error('Content-Type is not application/json'),
            '422': answer('no row could be stored', IngestResponseSchema),
            '429': error('throttled: retry with backoff'),
          },
        },
      },
      '/models/{id}/status': {
        get: {
          operationId: 'getModelStatus',
          summary: "A model's state, champion and last decision",
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': answer("the model's status", ModelStatusSchema),
            '404': error('no model with this id is registered'),
          },
        },
      },
    },
  };
}
