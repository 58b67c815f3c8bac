import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** Region and account of every local ARN. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LambdaContextOptions {
  functionName: string;
  /** @default 128 */
  memoryMb?: number;
  /** Function timeout; `getRemainingTimeInMillis` counts down from it (middy times out on it). @default 900 */
  timeoutSeconds?: number;
}

function unsupported(name: string): () => never {
  return () => {
    throw new Error(`context.${name}() is not supported locally; return a value or throw instead`);
  };
}

/**
 * A Lambda context object for one in-process invocation, shaped like the one the Node.js runtime
 * passes: a fresh request id, the log group/stream names and a deadline counting down from now.
 */
export function lambdaContext(options: LambdaContextOptions): Context {
  const { functionName, memoryMb = 128, timeoutSeconds = 900 } = options;
  const deadline = Date.now() + timeoutSeconds * 1000;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
