import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { StateTooLargeError } from '#contracts/errors.ts';
import { contextFromEnv, type KaizenContext } from './context.ts';

/** Shared Powertools instances: one per process, configured from POWERTOOLS_* variables. */
export const logger = new Logger();
// The metrics utility warns through the logger, so its warnings follow POWERTOOLS_LOG_LEVEL.
export const metrics = new Metrics({ logger });

/** Largest step result passed back to Step Functions (its state limit is 256 KB, the rest is room for the state). */
export const MAX_RESULT_BYTES = 200 * 1024;

/** A step's logic: the explicit context first, then the event Step Functions (or the stream) passes. */
export type StepLogic<Input, Output> = (ctx: KaizenContext, event: Input) => Promise<Output>;

export type LambdaHandler<Input, Output> = (event: Input, context: Context) => Promise<Output>;

/** The Lambda handler of a step, and the same handler bound to a given context (the local engine's). */
export type StepHandler<Input, Output> = LambdaHandler<Input, Output> & {
  withContext(ctx: KaizenContext): LambdaHandler<Input, Output>;
};

/**
 * Wraps a step's logic as a Lambda handler: structured logs with the Lambda context, and
 * metrics flushed after each call. Errors keep their `name`, which the state machine's Retry/Catch match.
 * On Lambda the context is built from the environment at the first call; `withContext` binds another one.
 */
export function stepHandler<Input, Output>(
  step: string,
  logic: StepLogic<Input, Output>,
): StepHandler<Input, Output> {
  const build = (context: () => KaizenContext): LambdaHandler<Input, Output> =>
    middy(async (event: Input, _context: Context): Promise<Output> => {
      logger.appendKeys({ step });
      try {
        const result = await logic(context(), event);
        const bytes = Buffer.byteLength(JSON.stringify(result ?? null));
        if (bytes > MAX_RESULT_BYTES) {
          throw new StateTooLargeError(
            `the ${step} step's result is ${Math.round(bytes / 1024)} KB, over the ${MAX_RESULT_BYTES / 1024} KB a ` +
              "state may take (Step Functions' limit is 256 KB): the run is recorded as failed instead",
          );
        }
        return result;
      } catch (error) {
        logger.error(`${step} failed`, error as Error);
        throw error;
      }
    })
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(logMetrics(metrics, { captureColdStartMetric: true }));
  let fromEnv: KaizenContext | undefined;
  const handler = build(() => {
    fromEnv ??= contextFromEnv();
    return fromEnv;
  });
  return Object.assign(handler, { withContext: (ctx: KaizenContext) => build(() => ctx) });
}
