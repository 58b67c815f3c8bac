import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { stepHandler } from '#runtime/handler.ts';
import { routeRequest } from './api.ts';

/** The HTTPS API (API Gateway Lambda proxy integration): `POST /observations`, `GET /models/{id}/status`. */
export const handler = stepHandler(
  'api',
  (ctx, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => routeRequest(ctx, event),
);
