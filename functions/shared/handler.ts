import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/** Shared Powertools instances: one per process, configured from POWERTOOLS_* variables. */
export const logger = new Logger();
// The metrics utility warns through the logger, so its warnings follow POWERTOOLS_LOG_LEVEL.
export const metrics = new Metrics({ logger });
export const tracer = new Tracer();

/**
 * Wraps a step's logic as a Lambda handler: tracing, structured logs with the Lambda context, and
 * metrics flushed after each call. Errors keep their `name`, which the state machine's Retry/Catch match.
 */
export function stepHandler<Input, Output>(step: string, logic: (event: Input) => Promise<Output>) {
  return middy(async (event: Input, _context: Context): Promise<Output> => {
    logger.appendKeys({ step });
    try {
      return await logic(event);
    } catch (error) {
      logger.error(`${step} failed`, error as Error);
      throw error;
    }
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
