import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What `$$.Task.Token` resolves to in the local engine's context; the callback integration replaces it in the
 * task's input with a token of its own for each attempt (Step Functions mints one per task attempt).
 */
export const TASK_TOKEN_PLACEHOLDER = 'kaizen-local-task-token';

/** How a waiting task ended: SendTaskSuccess's output, or SendTaskFailure's error and cause. */
type Answer = { output: unknown } | { error: string; cause: string };

/** An error as the Step Functions API answers it (`__type` is what the SDK turns into the error's name). */
class StatesApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The callback tasks the local engine waits on, answered through a loopback Step Functions API
 * (`SendTaskSuccess`, `SendTaskFailure`, `SendTaskHeartbeat`) that `kaizen complete` and `kaizen fail` call
 * with the AWS SDK, from this process or another one.
 */
export class CallbackTasks {
  private readonly waiting = new Map<string, (answer: Answer) => void>();

  /** A new task token (opaque, as on AWS). */
  mint(): string {
    return `kaizen-local-${randomBytes(24).toString('base64url')}`;
  }

  /**
   * Waits for the token's answer: resolves with SendTaskSuccess's output, rejects with SendTaskFailure's
   * error (named as sent) or when `signal` aborts (the execution ended or was stopped).
   */
  wait(token: string, signal?: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiting.delete(token);
        reject(
          Object.assign(new Error('the execution ended while the task waited'), { name: 'States.Aborted' }),
        );
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(token, (answer) => {
        this.waiting.delete(token);
        signal?.removeEventListener('abort', onAbort);
        if ('output' in answer) resolve(answer.output);
        else reject(Object.assign(new Error(answer.cause), { name: answer.error }));
      });
    });
  }

  /** Tokens that wait for an answer now. */
  pending(): string[] {
    return [...this.waiting.keys()];
  }

  private answer(token: unknown, answer?: Answer): void {
    if (typeof token !== 'string' || token === '')
      throw new StatesApiError('InvalidToken', 'taskToken is required');
    const settle = this.waiting.get(token);
    if (!settle) {
      throw new StatesApiError(
        'TaskDoesNotExist',
        'no task waits for this token here: it was answered, timed out, or its run ended or runs elsewhere',
      );
    }
    if (answer) settle(answer);
  }

  /** Handles one Step Functions API call (JSON 1.0 protocol) by its `X-Amz-Target` operation. */
  handle(operation: string, body: Record<string, unknown>): Record<string, unknown> {
    const { taskToken } = body;
    switch (operation) {
      case 'SendTaskSuccess': {
        let output: unknown;
        try {
          output = JSON.parse(String(body.output));
        } catch {
          throw new StatesApiError('InvalidOutput', 'output is not valid JSON');
        }
        this.answer(taskToken, { output });
        return {};
      }
      case 'SendTaskFailure':
        this.answer(taskToken, {
          error: typeof body.error === 'string' && body.error !== '' ? body.error : 'TaskFailed',
          cause: typeof body.cause === 'string' ? body.cause : '',
        });
        return {};
      case 'SendTaskHeartbeat':
        this.answer(taskToken);
        return {};
      default:
        throw new StatesApiError(
          'UnknownOperationException',
          `${operation} is not served by the local stack`,
        );
    }
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Serves the callback part of the Step Functions API on a loopback port; resolves to its endpoint. */
export async function serveStatesApi(tasks: CallbackTasks): Promise<{ endpoint: string; server: Server }> {
  const server = createServer(async (request, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^AWSStepFunctions\./, '');
    let status = 200;
    let payload: Record<string, unknown>;
    try {
      payload = tasks.handle(operation, JSON.parse((await readBody(request)) || '{}'));
    } catch (error) {
      status = 400;
      payload =
        error instanceof StatesApiError
          ? { __type: error.type, message: error.message }
          : { __type: 'ValidationException', message: (error as Error).message };
    }
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(payload));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
